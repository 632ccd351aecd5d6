/// A prediction in the join's state: 24 bytes here, plus a record in the operator's byte arena and, once a label
/// has been applied to it, a `LabelAggregate` in `LabelStates` (pages by entry number). Unlabeled predictions
/// (the ones that wait the longest, and the ones a memory bound is about) pay nothing for label state.
///
/// The arena record is `[payload length, UInt32, only when it is 0xFFFF or more][predictions clock delta,
/// Int32][request-id length, LEB128][request id][example members]`. The clock delta is only read after the
/// request id matched, so it sits next to the request id rather than in this struct: the same cache line, and
/// the 4 bytes here hold the label-state link instead.
struct PendingPrediction: Sendable {
    static let closedFlag: UInt8 = 1
    static let extraFingerprintsFlag: UInt8 = 2
    /// Set in `flags` for held predictions (not stored: an entry is live while it has a payload offset).
    static let liveFlag: UInt8 = 4
    /// The entry has a string in `stringAggregates` (so removal needs no look at its label state). Not saved in
    /// snapshots (restore sets it from the aggregate's kind).
    static let stringAggregateFlag: UInt8 = 8
    /// The most models one operator holds: model numbers take 13 bits of `modelAndFlags`.
    static let modelLimit = 1 << 13
    /// `shortLength` of a record of 0xFFFF bytes or more, whose length is stored in 4 bytes before it.
    static let longRecord: UInt16 = .max
    static let freeOffset: UInt32 = .max
    static let noLabels: Int32 = -1
    /// Bytes of the record header (the clock delta) in front of the request id.
    static let headerBytes = 4

    /// Effective event time (ms).
    var time: Int64
    /// The index key of the request id: the high 32 bits of its `StableHash` (see `StableHash.indexKey`).
    var hash: UInt32
    /// Where the record starts in the arena (`freeOffset` for a free entry).
    var recordOffset: UInt32
    /// This entry's own number when it has a `LabelAggregate` in `LabelStates`, or `noLabels`.
    var labels: Int32 = Self.noLabels
    /// The record's length, or `longRecord`.
    var shortLength: UInt16
    /// Model number (low 13 bits) and the closed, extra-fingerprints and string-aggregate flags (bits 13–15).
    private var modelAndFlags: UInt16

    init(hash: UInt32, recordOffset: UInt32, shortLength: UInt16, time: Int64, model: UInt16) {
        precondition(Int(model) < Self.modelLimit, "too many models in one join operator")
        self.time = time
        self.hash = hash
        self.recordOffset = recordOffset
        self.shortLength = shortLength
        self.modelAndFlags = model
    }

    var model: UInt16 { modelAndFlags & 0x1FFF }

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

    var isLive: Bool { recordOffset != Self.freeOffset }

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
