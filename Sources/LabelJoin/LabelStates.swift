internal import CAllocatorTuning

/// The label state (`LabelAggregate`) of held predictions, stored by entry number in pages of 64 entries.
///
/// Why by entry number: entry numbers are reused in removal order, which is event-time order, so windows close
/// in nearly ascending entry order; a state found at its entry's number is then next to the one the previous
/// close read, where a state in a side table (slots handed out in label-arrival order) was a cache miss on
/// every close. Why pages: only predictions a label has reached have a state, so a page exists only while one
/// of its 64 entries has one; pending predictions no label has reached cost nothing here.
///
/// Not thread-safe; owned by one operator.
struct LabelStates {
    static let pageShift = 6
    static let pageSize = 1 << pageShift

    /// Per page of entry numbers: the page's first slot in `store`, or -1.
    private var pageStart: [Int32] = []
    /// How many states each allocated page holds (indexed by `store` page, i.e. start / pageSize).
    private var used: [UInt8] = []
    private var store: [LabelAggregate] = []
    private var freePages: [Int32] = []

    /// States held.
    private(set) var count = 0
    /// Pages holding at least one state.
    var pagesInUse: Int { used.count - freePages.count }
    /// Bytes allocated (capacity), for memory reports.
    var memoryBytes: Int {
        pageStart.capacity * 4 + used.capacity + store.capacity * MemoryLayout<LabelAggregate>.stride + freePages.capacity * 4
    }

    /// The state of entry `e`, which must have one.
    @inline(__always)
    subscript(e: Int32) -> LabelAggregate {
        get { store[slot(e)] }
        set { store[slot(e)] = newValue }
    }

    @inline(__always)
    private func slot(_ e: Int32) -> Int {
        Int(pageStart[Int(e) >> Self.pageShift]) + Int(e) & (Self.pageSize - 1)
    }

    /// Starts loading entry `e`'s state (a hint; `e` must have one).
    @inline(__always)
    func prefetch(_ e: Int32) {
        store.withUnsafeBufferPointer { tideline_prefetch($0.baseAddress! + slot(e)) }
    }

    /// Gives entry `e` (which has none) the state `state`.
    mutating func add(_ e: Int32, _ state: LabelAggregate) {
        let page = Int(e) >> Self.pageShift
        if page >= pageStart.count { pageStart.append(contentsOf: repeatElement(-1, count: page - pageStart.count + 1)) }
        if pageStart[page] < 0 {
            if let free = freePages.popLast() {
                pageStart[page] = free
            } else {
                pageStart[page] = Int32(store.count)
                store.append(contentsOf: repeatElement(LabelAggregate(), count: Self.pageSize))
                used.append(0)
            }
        }
        store[slot(e)] = state
        used[Int(pageStart[page]) >> Self.pageShift] += 1
        count += 1
    }

    /// Drops entry `e`'s state (it must have one); frees its page when it was the page's last.
    mutating func remove(_ e: Int32) {
        let page = Int(e) >> Self.pageShift
        let start = pageStart[page]
        store[slot(e)] = LabelAggregate()
        let u = Int(start) >> Self.pageShift
        used[u] -= 1
        count -= 1
        if used[u] == 0 {
            freePages.append(start)
            pageStart[page] = -1
        }
    }
}
