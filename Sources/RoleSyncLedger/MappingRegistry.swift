public import RoleSyncMapping
import Synchronization

/// The mappings in force, swappable at run time (a reload on SIGHUP replaces them whole).
public final class MappingRegistry: Sendable {
    private let state: Mutex<MappingSet>

    public init(_ mappings: MappingSet) {
        state = Mutex(mappings)
    }

    /// The current mappings.
    public var current: MappingSet { state.withLock { $0 } }

    /// Replaces the mappings; readers see the old set or the new one, never a mix.
    public func replace(with mappings: MappingSet) {
        state.withLock { $0 = mappings }
    }
}
