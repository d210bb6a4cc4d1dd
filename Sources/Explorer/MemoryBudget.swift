/// The one place every growth of a search's memory asks first.
///
/// The store's state array, parent links and hash table, and the depth-first stack, are
/// sized here: `reserve` before allocating, `release` after freeing. A refusal ends the
/// search cleanly ("memory limit reached", incomplete) instead of an allocation failure
/// killing the process. `used` is what the search holds now; a growth that needs the
/// old and the new block at once (the hash table while it is rehashed) reserves both.
public final class MemoryBudget {
    /// Most bytes the search may hold at once.
    let limit: Int
    /// Bytes the search holds now.
    private(set) var used = 0
    /// The most it ever held.
    private(set) var peak = 0
    /// A reservation was refused.
    private(set) var exhausted = false

    init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    /// Reserves `bytes` more; false (and nothing reserved) when that would pass the limit.
    func reserve(_ bytes: Int) -> Bool {
        assert(bytes >= 0)
        let (total, overflow) = used.addingReportingOverflow(bytes)
        guard !overflow, total <= limit else {
            exhausted = true
            return false
        }
        used = total
        peak = max(peak, used)
        return true
    }

    /// Records `bytes` held without asking (a structure's first, small blocks).
    func charge(_ bytes: Int) {
        used += bytes
        peak = max(peak, used)
    }

    /// Gives back `bytes` reserved earlier.
    func release(_ bytes: Int) {
        assert(bytes >= 0 && bytes <= used)
        used -= bytes
    }

    /// No limit in practice (tests and callers that bound the search otherwise).
    static var unlimited: MemoryBudget { MemoryBudget(limit: Int.max) }
}

extension MemoryBudget {
    /// A size for people: `512 MiB`, `8 GiB`, `1.5 GiB`, `300 KiB`.
    public static func describe(_ bytes: Int) -> String {
        let units = [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")]
        for (shift, name) in units where bytes >= 1 << shift {
            let value = Double(bytes) / Double(1 << shift)
            let rounded = (value * 10).rounded() / 10
            return rounded == rounded.rounded() ? "\(Int(rounded)) \(name)" : "\(rounded) \(name)"
        }
        return "\(bytes) bytes"
    }
}
