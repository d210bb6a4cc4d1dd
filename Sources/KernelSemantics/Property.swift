/// The nine properties (SEMANTICS.md §6.1), in their order.
public enum Property: Int, Sendable, CaseIterable {
    case freeAtZero, noFreeWhileBorrowed, noUseAfterFree, noUnderflow, noLeak, noTeardownInUse,
        activeMMConsistent, initMMImmortal, noUsersFromZero

    /// The name used in model files (`expect violation <name>`) and in reports.
    public var name: String {
        switch self {
        case .freeAtZero: return "free-at-zero"
        case .noFreeWhileBorrowed: return "no-free-while-borrowed"
        case .noUseAfterFree: return "no-use-after-free"
        case .noUnderflow: return "no-underflow"
        case .noLeak: return "no-leak"
        case .noTeardownInUse: return "no-teardown-in-use"
        case .activeMMConsistent: return "active-mm-consistent"
        case .initMMImmortal: return "init-mm-immortal"
        case .noUsersFromZero: return "no-users-from-zero"
        }
    }

    init?(name: String) {
        guard let p = Property.allCases.first(where: { $0.name == name }) else { return nil }
        self = p
    }

    /// Property names followed by the pseudo-outcome for a model that fails at run time.
    public static let outcomeNames = Property.allCases.map(\.name) + [modelErrorName]
    /// Outcome reported when a model's code cannot run (for example no free mm slot).
    public static let modelErrorName = "model-error"
    public static let modelErrorCode = Int32(Property.allCases.count)
}
