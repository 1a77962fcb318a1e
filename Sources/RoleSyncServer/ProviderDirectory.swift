package import RoleSyncOIDC

/// The configured providers, found by name or issuer.
package struct ProviderDirectory: Sendable {
    package let providers: [OpenIDProvider]

    package init(_ providers: [OpenIDProvider]) {
        self.providers = providers
    }

    /// The provider named or issued by `reference`; with no reference, the only provider.
    package func provider(_ reference: String?) -> OpenIDProvider? {
        guard let reference, !reference.isEmpty else { return providers.count == 1 ? providers.first : nil }
        return providers.first { $0.configuration.name == reference || $0.configuration.issuer == reference }
    }

    /// The provider whose issuer is `issuer`.
    package func provider(issuer: String) -> OpenIDProvider? {
        providers.first { $0.configuration.issuer == issuer }
    }
}
