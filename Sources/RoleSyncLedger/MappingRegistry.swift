package import RoleSyncMapping
import Synchronization

/// The mappings in force, and the candidate (shadow) mappings evaluated beside them, swappable at
/// run time (a reload on SIGHUP, or after a promotion, replaces them whole).
package final class MappingRegistry: Sendable {
    private struct State {
        var live: MappingSet
        var shadow: MappingSet?
    }

    private let state: Mutex<State>

    /// Whether these are the configuration's mappings (`serve`, or a command given `--config`), so
    /// that an issuer without a mapping truly has none. A command that loaded a mapping folder on
    /// its own cannot know that, and says a role's ownership is unknown for such an issuer.
    package let isConfigurations: Bool

    package init(_ mappings: MappingSet, shadow: MappingSet? = nil, isConfigurations: Bool = true) {
        state = Mutex(State(live: mappings, shadow: shadow))
        self.isConfigurations = isConfigurations
    }

    /// The current mappings.
    package var current: MappingSet { state.withLock { $0.live } }

    /// The candidate mappings, when `shadow:` configures any.
    package var shadow: MappingSet? { state.withLock { $0.shadow } }

    /// Replaces the mappings and the candidates together; readers see the old pair or the new one,
    /// never a mix.
    package func replace(with mappings: MappingSet, shadow: MappingSet?) {
        state.withLock { $0 = State(live: mappings, shadow: shadow) }
    }

    /// Replaces the live mappings, keeping the candidates.
    package func replace(with mappings: MappingSet) {
        state.withLock { $0.live = mappings }
    }
}
