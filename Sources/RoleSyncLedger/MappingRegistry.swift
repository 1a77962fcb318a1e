public import RoleSyncMapping
import Synchronization

/// The mappings in force, and the candidate (shadow) mappings evaluated beside them, swappable at
/// run time (a reload on SIGHUP, or after a promotion, replaces them whole).
public final class MappingRegistry: Sendable {
    private struct State {
        var live: MappingSet
        var shadow: MappingSet?
    }

    private let state: Mutex<State>

    public init(_ mappings: MappingSet, shadow: MappingSet? = nil) {
        state = Mutex(State(live: mappings, shadow: shadow))
    }

    /// The current mappings.
    public var current: MappingSet { state.withLock { $0.live } }

    /// The candidate mappings, when `shadow:` configures any.
    public var shadow: MappingSet? { state.withLock { $0.shadow } }

    /// Replaces the mappings and the candidates together; readers see the old pair or the new one,
    /// never a mix.
    public func replace(with mappings: MappingSet, shadow: MappingSet?) {
        state.withLock { $0 = State(live: mappings, shadow: shadow) }
    }

    /// Replaces the live mappings, keeping the candidates.
    public func replace(with mappings: MappingSet) {
        state.withLock { $0.live = mappings }
    }
}
