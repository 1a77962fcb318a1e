import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports
import RoleSyncYAML

/// The mappings on the admin API: the loaded ones (`GET /api/admin/mappings`), a candidate's dry run
/// (`POST /api/admin/mappings/dry-run`) and the shadow mapping's differences
/// (`GET /api/admin/mapping/shadow`).
struct MappingController: Sendable {
    let sync: SyncService

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.mappings) { _, _ in JSONBody(MappingsView(self.sync.mappings.current)) }
        admin.on(.dryRun) { request, _ in try await self.dryRun(request) }
        admin.on(.shadow) { request, _ in try await self.shadowReport(request) }
    }

    /// `GET /api/admin/mapping/shadow`: who the candidate mappings would change, and why.
    func shadowReport(_ request: Request) async throws -> JSONBody<ShadowReport> {
        let query = try AdminInput.shadowQuery(request.uri.queryParameters)
        let page = try await sync.shadowDifferences(matching: query)
        return JSONBody(ShadowReport(page, candidates: sync.mappings.shadow, query: query))
    }

    func dryRun(_ request: Request) async throws -> JSONBody<PlanReport> {
        let body = try await request.body.collect(upTo: AdminInput.maximumMappingBody)
        guard let yaml = String(validating: body.readableBytesView, as: UTF8.self), !yaml.isEmpty else {
            throw AdminInputError.badRequest(nil, "the body must be a mapping in YAML (UTF-8)")
        }
        let errors: [Diagnostic]
        switch try await sync.candidatePlan(yaml) {
        case .success(let plan): return JSONBody(PlanReport(plan))
        case .failure(let problems): errors = problems.diagnostics
        }
        let first = errors.first
        throw ProblemError(
            .unprocessableContent,
            title: "Invalid mapping",
            code: "invalid_mapping",
            detail: errors.map { "\($0.location.line):\($0.location.column): \($0.message)" }.joined(separator: "\n"),
            field: first.map { "body:\($0.location.line):\($0.location.column)" }
        )
    }
}

/// A candidate mapping's errors.
struct InvalidMapping: Error {
    var diagnostics: [Diagnostic]
}

extension SyncService {
    /// What `yaml`, a candidate mapping, would change if it replaced the loaded mapping of its
    /// issuer (the admin API's and the dashboard's dry run), or its errors.
    func candidatePlan(_ yaml: String) async throws -> Result<ReevaluationPlan, InvalidMapping> {
        let parsed = MappingParser.parse(yaml: yaml, file: "request")
        guard let mapping = parsed.mapping else {
            return .failure(InvalidMapping(diagnostics: parsed.diagnostics.filter { $0.severity == .error }))
        }
        let candidate = mappings.current.replacing(with: MappingSet.build([mapping]).set)
        return .success(try await reevaluateAll(under: candidate))
    }
}
