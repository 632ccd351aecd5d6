/// A prediction in the join's state: 24 bytes here, plus two records in the operator's byte arenas and, once a
/// label has been applied to it, a `LabelAggregate` in `LabelStates` (pages by entry number). Unlabeled
/// predictions (the ones that wait the longest, and the ones a memory bound is about) pay nothing for label state.
///
/// - The request-id record, in the request-id arena: `[predictions clock delta, Int32][request-id length,
///   LEB128][request id]`. Every label reads it (to compare request ids, then the clock delta); kept apart from
///   the members, it is small and recently written when labels come seconds after their prediction, so that read
///   mostly stays in cache.
/// - The example members, in the members arena: `[length, UInt32, only when it is 0x7FFF or more][members]`,
///   read only when an example is written.
struct PendingPrediction: Sendable {
    static let closedFlag: UInt8 = 1
    static let extraFingerprintsFlag: UInt8 = 2
    /// Set in `flags` for held predictions (not stored: an entry is live while it has a request-id offset).
    static let liveFlag: UInt8 = 4
    /// The entry has a string in `stringAggregates` (so removal needs no look at its label state). Not saved in
    /// snapshots (restore sets it from the aggregate's kind).
    static let stringAggregateFlag: UInt8 = 8
    /// The most models one operator holds: model numbers take 13 bits of `modelAndFlags`.
    static let modelLimit = 1 << 13
    /// `membersLength` of members of 0x7FFF bytes or more, whose length is stored in 4 bytes before them.
    static let longMembers: UInt16 = 0x7FFF
    static let freeOffset: UInt32 = .max
    /// Bytes of the request-id record's header (the clock delta) in front of the request id.
    static let headerBytes = 4
    private static let labelStateBit: UInt16 = 0x8000

    /// Effective event time (ms).
    var time: Int64
    /// The index key of the request id: the high 32 bits of its `StableHash` (see `StableHash.indexKey`).
    var hash: UInt32
    /// Where the request-id record starts in the request-id arena (`freeOffset` for a free entry).
    var requestIDOffset: UInt32
    /// Where the members (or their 4-byte length, for long ones) start in the members arena.
    var membersOffset: UInt32
    /// The members' length (low 15 bits, or `longMembers`) and, in the top bit, whether the entry has a
    /// `LabelAggregate` in `LabelStates`.
    private var lengthAndLabelState: UInt16
    /// Model number (low 13 bits) and the closed, extra-fingerprints and string-aggregate flags (bits 13–15).
    private var modelAndFlags: UInt16

    init(hash: UInt32, requestIDOffset: UInt32, membersOffset: UInt32, membersLength: UInt16, time: Int64, model: UInt16) {
        precondition(Int(model) < Self.modelLimit, "too many models in one join operator")
        precondition(membersLength <= Self.longMembers, "members length out of range")
        self.time = time
        self.hash = hash
        self.requestIDOffset = requestIDOffset
        self.membersOffset = membersOffset
        self.lengthAndLabelState = membersLength
        self.modelAndFlags = model
    }

    var model: UInt16 { modelAndFlags & 0x1FFF }

    /// The members' length, or `longMembers`.
    var membersLength: UInt16 { lengthAndLabelState & ~Self.labelStateBit }

    /// Whether a label state for this entry is in `LabelStates`.
    var hasLabelState: Bool {
        get { lengthAndLabelState & Self.labelStateBit != 0 }
        set { lengthAndLabelState = newValue ? lengthAndLabelState | Self.labelStateBit : lengthAndLabelState & ~Self.labelStateBit }
    }

    /// `closedFlag`, `extraFingerprintsFlag` and `stringAggregateFlag`; reads include `liveFlag` for a held
    /// prediction (as snapshots store it).
    var flags: UInt8 {
        get {
            let stored = UInt8(truncatingIfNeeded: modelAndFlags >> 13)
            return stored & 3 | (stored & 4 != 0 ? Self.stringAggregateFlag : 0) | (isLive ? Self.liveFlag : 0)
        }
        set {
            let stored = UInt16(newValue & 3) | (newValue & Self.stringAggregateFlag != 0 ? 4 : 0)
            modelAndFlags = model | stored << 13
        }
    }

    var isLive: Bool { requestIDOffset != Self.freeOffset }

    static func delta(_ t: Int64, from base: Int64) -> Int32 {
        if t == .min { return .min }
        let (d, overflow) = t.subtractingReportingOverflow(base)
        if overflow { return t < base ? .min : .max }
        return Int32(clamping: d)
    }
}

/// The labels applied to one prediction so far: 24 bytes, allocated when its first label is applied.
struct LabelAggregate: Sendable {
    enum Kind: UInt8 { case none = 0, number = 1, bool = 2, string = 3 }

    /// The aggregate label (number, 0/1 for booleans; unused for strings, which are in `stringAggregates`).
    var value: Double = 0
    /// The first applied label's fingerprint (0: none); more are in `extraFingerprints`.
    var fingerprint: UInt64 = 0
    /// Event time of the label that set the aggregate, minus the prediction's time (within the window, so 32
    /// bits suffice).
    var delay: Int32 = 0
    var corrections: UInt16 = 0
    var onTimeLabels: UInt8 = 0
    var kindRaw: UInt8 = 0

    init() {}

    init(value: Double, fingerprint: UInt64, delay: Int32, corrections: UInt16, onTimeLabels: UInt8, kindRaw: UInt8) {
        (self.value, self.fingerprint, self.delay, self.corrections) = (value, fingerprint, delay, corrections)
        (self.onTimeLabels, self.kindRaw) = (onTimeLabels, kindRaw)
    }

    var kind: Kind {
        get { Kind(rawValue: kindRaw) ?? .none }
        set { kindRaw = newValue.rawValue }
    }

    /// True for the state of a prediction no label has touched.
    var isEmpty: Bool { fingerprint == 0 && kindRaw == 0 && onTimeLabels == 0 && corrections == 0 }
}

extension StableHash {
    /// The 32 bits of a request id's hash that the join's index and entries keep.
    @inline(__always)
    static func indexKey(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) }
}
