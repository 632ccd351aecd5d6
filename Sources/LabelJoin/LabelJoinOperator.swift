internal import CAllocatorTuning
public import Events

/// Which input of the join an event or punctuation belongs to.
public enum JoinStream: UInt8, Sendable, CaseIterable {
    case predictions = 0
    case labels = 1
}

/// The label join for one pair of co-partitioned input partitions (`predictions[p]`, `labels[p]`): a pure,
/// deterministic state machine over events with explicit event time. No Kafka, no wall clock inside.
///
/// ## Clocks
/// Each input has an event-time clock: the largest (guarded) event time seen on it, or a punctuation's time
/// (idle partitions). Grace is applied per model when a clock is compared with a deadline.
///
/// ## Semantics (independent of how the two inputs interleave)
/// For a prediction at `tp` of a model with window `W`, backward window `B`, grace `g` and correction
/// horizon `H`, and a label at `tl` for the same request id (and model, if the label names one):
/// - the label is *attributed* when `tp - B <= tl <= tp + W`, and the predictions clock before the
///   prediction was below `tl + B + g` (otherwise the prediction came too late for that label);
/// - with `c` the labels clock just before the label arrived: `c < tp+W+g` → on time; `c < tp+W+g+H` →
///   late (a `correction` example); otherwise too late (counted, ignored);
/// - the prediction's window closes once the labels clock reaches `tp+W+g` and the prediction is present:
///   an `observed` example aggregating its on-time labels, else an `implicit` one with the default label,
///   or nothing when the model drops unlabeled predictions;
/// - a prediction arriving when the predictions clock has passed `tp+W+g+H` is expired (counted);
///   an exact repeat (request id, model, time) of a held prediction is a duplicate (counted);
///   a repeat of a label already applied to a prediction is a duplicate (counted).
///
/// Every decision depends only on the order of events *within* each input, never on how the two inputs
/// interleave, so a run, a crash-recovery from any checkpoint and a replay produce the same examples with
/// the same `event_id`s. (The one exception is the `evict_oldest` overflow policy, which is counted.)
///
/// ## Memory
/// A pending prediction is 24 bytes of fixed fields plus two byte-arena records: its request id (after a
/// 4-byte header) in the request-id arena, and its pre-encoded example members (model version, variant, entity,
/// item, features, prediction) in the members arena; plus 6–16 bytes of hash index (load 0.25–0.7) and 4 bytes
/// of timer queue. Label state (24 bytes) is held only for predictions a label has reached, in pages by entry
/// number (`LabelStates`). See `PendingPrediction`.
///
/// Not thread-safe: one task owns an operator.
public struct LabelJoinOperator: Sendable {
    public let configuration: JoinConfiguration
    public internal(set) var statistics = JoinStatistics()
    /// How many times a payload arena (members or request ids) was compacted (observability; not part of snapshots).
    public internal(set) var arenaCompactions = 0

    /// The predictions clock (ms of event time); `Int64.min` before the first prediction.
    public internal(set) var predictionClock: Int64 = .min
    /// The labels clock (ms of event time); `Int64.min` before the first label.
    public internal(set) var labelClock: Int64 = .min
    var labelSequence: UInt64 = 0

    var models: [ModelSlot] = []
    var modelNumbers = ModelNumbers()

    var entries: [PendingPrediction] = []
    var freeEntries = Int32Queue()
    var index = HashSlots()
    var closeTimers = TimerQueue()
    var removalTimers = TimerQueue()
    var labelStates = LabelStates()
    /// The members arena: each held prediction's pre-encoded example members.
    var arena = ByteArena()
    var arenaGarbage = 0
    /// The request-id arena: each held prediction's clock delta and request id, the part every label reads.
    var requestIDArena = ByteArena()
    var requestIDGarbage = 0
    var extraFingerprints: [Int32: [UInt64]] = [:]
    var stringAggregates: [Int32: String] = [:]
    var openCount = 0
    var liveCount = 0
    var payloadBytes = 0

    /// Labels held for predictions still to come (each for B + g on the predictions clock).
    var held = HeldLabels()

    /// The widest `B + g` over all policies: how long a held label waits on the predictions clock.
    let widestBackwardReach: Int64

    private var scratch = JSONWriter(capacity: 1024)
    /// The date part of the last time an example carried (most examples in a row fall on one day).
    private var dayCache = RFC3339DayCache()
    private var matches = MatchList()

    /// Fixed bytes charged per pending prediction (entry, index at its mean load, timer, request-id record header)
    /// in `pendingBytes`.
    public static let entryOverhead = MemoryLayout<PendingPrediction>.stride + 8 + 4 + PendingPrediction.headerBytes
    /// Bytes charged, in addition, per page of `LabelStates` in use: 64 entry numbers' label states, allocated
    /// once any of the 64 holds one (so at most this much per 64 held predictions, 24 bytes each).
    public static let labelStatePageOverhead = LabelStates.pageSize * MemoryLayout<LabelAggregate>.stride
    /// The most distinct model names one operator accepts (events name models; an operator holds one slot per
    /// name it has seen). The stage dead-letters events that would exceed it: check `admits(model:)` first.
    public static let maxModels = PendingPrediction.modelLimit - 1

    public init(configuration: JoinConfiguration) {
        self.configuration = configuration
        var reach = configuration.defaultPolicy.backwardWindow + configuration.defaultPolicy.grace
        for policy in configuration.models.values { reach = max(reach, policy.backwardWindow + policy.grace) }
        widestBackwardReach = reach
        for name in configuration.models.keys.sorted() { _ = modelNumber(name) }
    }

    // MARK: Observability

    /// Predictions whose window has not closed yet.
    public var openPredictions: Int { openCount }
    /// Predictions held (open, or closed and still able to take a correction).
    public var heldPredictions: Int { liveCount }
    /// Labels held for predictions still to come (every label, attributed or not, for B + g on the predictions clock).
    public var heldLabels: Int { held.count }
    /// Bytes of pending state charged against `maxPendingBytes`: payloads plus fixed per-entry costs.
    public var pendingBytes: Int {
        payloadBytes + liveCount * Self.entryOverhead + labelStates.pagesInUse * Self.labelStatePageOverhead + held.chargedBytes
    }
    /// True when pending state exceeds the configured bound (the stage applies the overflow policy).
    public var isOverBound: Bool { pendingBytes > configuration.maxPendingBytes }
    /// Event time of the oldest prediction whose window is still open, if any.
    public var oldestOpenPredictionTime: Int64? {
        guard let next = closeTimers.peek(keyOf: closeKey) else { return nil }
        return entries[Int(next.entry)].time
    }
    /// Bytes actually allocated for pending state (capacity of every structure), for memory reports.
    public var allocatedBytes: Int {
        entries.capacity * MemoryLayout<PendingPrediction>.stride + freeEntries.memoryBytes + index.memoryBytes
            + labelStates.memoryBytes
            + closeTimers.memoryBytes + removalTimers.memoryBytes + arena.capacity + requestIDArena.capacity
            + held.memoryBytes
    }

    /// Whether an event naming `model` can be processed: the model is known, or there is room for another.
    public func admits(model: String) -> Bool { models.count < Self.maxModels || modelNumbers.number(of: model) != nil }

    // MARK: Input

    /// Processes one prediction. `recordTimestamp` is the Kafka record's timestamp (ms), used by the
    /// far-future guard; pass nil when unknown. Examples go to `output`.
    public mutating func process(_ prediction: PredictionEvent, recordTimestamp: Int64?, into output: inout JoinOutput) {
        process(prediction, key: RequestKey(requestID: prediction.requestID), recordTimestamp: recordTimestamp, into: &output)
    }

    /// Processes one prediction whose request id's key the caller computed (`key` must be
    /// `RequestKey(requestID: prediction.requestID)`; checked in debug builds).
    public mutating func process(_ prediction: PredictionEvent, key: RequestKey, recordTimestamp: Int64?, into output: inout JoinOutput) {
        assert(key == RequestKey(requestID: prediction.requestID), "the key of another request id")
        statistics.predictions += 1
        let t = effectiveTime(prediction.timestamp.milliseconds, recordTimestamp)
        let model = modelNumber(prediction.model)
        let policy = models[Int(model)].policy
        let clockBefore = predictionClock
        let closeKey = t &+ policy.window &+ policy.grace
        let removeKey = closeKey &+ policy.correctionHorizon
        defer { advancePredictions(to: t) }
        if clockBefore >= removeKey {
            statistics.expiredPredictions += 1
            return
        }
        var requestID = prediction.requestID
        let fullHash = key.hash
        let h = key.indexKey
        let isDuplicate = requestID.withUTF8 { rid -> Bool in
            var found = false
            index.forEach(hash: h) { e in
                let entry = entries[Int(e)]
                if entry.hash == h && entry.isLive && entry.model == model && entry.time == t && requestIDEquals(entry, rid) {
                    found = true
                    return false
                }
                return true
            }
            return found
        }
        if isDuplicate {
            statistics.duplicatePredictions += 1
            return
        }
        if configuration.overflow == .evictOldest { evictWhileOverBound(output: &output) }

        // The request id (and the clock before it) into the request-id arena; the example members, encoded once,
        // into the members arena, to be copied verbatim into every example for this prediction.
        let e: Int32 = requestID.withUTF8 { rid in
            let ridOffset = appendRequestID(rid, clockDelta: PendingPrediction.delta(clockBefore, from: t))
            let members = storeMembers(prediction)
            let e = allocateEntry(PendingPrediction(hash: h, requestIDOffset: ridOffset, membersOffset: members.offset,
                                                    membersLength: members.length, time: t, model: model))
            if index.needsRebuild(for: e) {  // rare: reads the members' hashes walking the entries in order
                let held = entries
                index.rebuild(widestEntry: e) { add in
                    for i in held.indices where held[i].isLive && i != Int(e) { add(Int32(i), held[i].hash) }
                }
            }
            index.place(e, hash: h)
            return e
        }
        openCount += 1
        liveCount += 1
        payloadBytes += payloadLength(entries[Int(e)])

        // Labels that arrived first (held), in arrival order.
        matches.removeAll()
        requestID.withUTF8 { rid in
            held.forEach(hash: fullHash) { o in
                let label = held[o]
                if (label.model == HeldLabels.anyModel || label.model == model)
                    && label.time >= t &- policy.backwardWindow && label.time <= t &+ policy.window
                    && clockBefore < label.time &+ policy.backwardWindow &+ policy.grace
                    && held.requestIDEquals(o, rid) {
                    matches.append(o)
                }
            }
        }
        if matches.count > 1 { matches.sort { held[$0].sequence < held[$1].sequence } }
        for k in 0..<matches.count { held.markAttributed(matches[k]) }
        for k in 0..<matches.count where held[matches[k]].clockBefore < closeKey {
            apply(heldLabel(matches[k]), to: e, policy: policy, onTime: true)
        }
        if labelClock >= closeKey {
            close(e, output: &output)
            for k in 0..<matches.count where held[matches[k]].clockBefore >= closeKey {
                if held[matches[k]].clockBefore < removeKey {
                    if apply(heldLabel(matches[k]), to: e, policy: policy, onTime: false) { emitCorrection(e, output: &output) }
                } else {
                    statistics.tooLateLabels += 1
                }
            }
        } else {
            closeTimers.push(closeKey, e)
        }
    }

    /// Processes one label. `recordTimestamp` as for predictions.
    public mutating func process(_ label: LabelEvent, recordTimestamp: Int64?, into output: inout JoinOutput) {
        process(label, key: RequestKey(requestID: label.requestID), recordTimestamp: recordTimestamp, into: &output)
    }

    /// Processes one label whose request id's key the caller computed (`key` must be
    /// `RequestKey(requestID: label.requestID)`; checked in debug builds).
    public mutating func process(_ label: LabelEvent, key: RequestKey, recordTimestamp: Int64?, into output: inout JoinOutput) {
        assert(key == RequestKey(requestID: label.requestID), "the key of another request id")
        statistics.labels += 1
        let t = effectiveTime(label.timestamp.milliseconds, recordTimestamp)
        let clockBefore = labelClock
        let sequence = labelSequence
        labelSequence &+= 1
        let modelFilter = label.model.map { modelNumber($0) } ?? HeldLabels.anyModel
        let fingerprint = Self.fingerprint(label, time: t,
                                           modelHash: modelFilter == HeldLabels.anyModel ? nil : models[Int(modelFilter)].fingerprintSeed)
        var requestID = label.requestID
        let fullHash = key.hash
        let h = key.indexKey
        let incoming = IncomingLabel(time: t, fingerprint: fingerprint, value: label.label)

        matches.removeAll()
        requestID.withUTF8 { rid in
            index.forEach(hash: h) { e in
                let entry = entries[Int(e)]
                // A removed entry's slot stays until the index is rebuilt (`HashSlots.forget`): it may lead to an
                // entry that is free, or reused (then its own slot may lead to it as well).
                if entry.hash == h && entry.isLive && (modelFilter == HeldLabels.anyModel || entry.model == modelFilter)
                    && requestIDEquals(entry, rid) && !matches.contains(e) {
                    matches.append(e)
                }
                return true
            }
        }
        var attributed = false
        for k in 0..<matches.count {
            let e = matches[k]
            let entry = entries[Int(e)]
            let policy = models[Int(entry.model)].policy
            guard t >= entry.time &- policy.backwardWindow && t <= entry.time &+ policy.window,
                  predictionClockBefore(entry) < t &+ policy.backwardWindow &+ policy.grace else { continue }
            attributed = true
            let closeKey = entry.time &+ policy.window &+ policy.grace
            if clockBefore < closeKey {
                apply(incoming, to: e, policy: policy, onTime: true)
            } else if clockBefore < closeKey &+ policy.correctionHorizon {
                if apply(incoming, to: e, policy: policy, onTime: false) { emitCorrection(e, output: &output) }
            } else {
                statistics.tooLateLabels += 1
            }
        }

        // Hold the label for predictions still to come, unless none could still match it.
        let expiry = t &+ backwardReach(modelFilter)
        if predictionClock < expiry {
            requestID.withUTF8 { rid in
                held.hold(requestID: rid, hash: fullHash, time: t, clockBefore: clockBefore, sequence: sequence, fingerprint: fingerprint,
                          value: label.label, model: modelFilter, attributed: attributed, expiry: expiry)
            }
        } else if !attributed {
            statistics.unattributedLabels += 1
        }
        advanceLabels(to: t, output: &output)
    }

    /// A hint that an event for `key` comes soon (a few events from now): starts loading the index slot its lookup
    /// reads first, a cache miss otherwise (held predictions are looked up at random, and the index of 100,000 of
    /// them is larger than a core's cache). It changes no state. `mutating` only so that a call through a class's
    /// stored property borrows the operator instead of copying it.
    ///
    /// The join stage hints 8 records ahead (`tideline bench join` does the same; BENCHMARKS.md, session 21).
    @inline(__always)
    public mutating func prefetch(_ key: RequestKey) {
        index.prefetch(hash: key.indexKey)
    }

    /// Advances one input's clock without an event (punctuation for an idle partition). The stage records
    /// punctuations with the input position they apply at, so a recovery or replay applies them identically.
    public mutating func advance(_ stream: JoinStream, to time: Int64, into output: inout JoinOutput) {
        switch stream {
        case .predictions: advancePredictions(to: time)
        case .labels: advanceLabels(to: time, output: &output)
        }
    }

    // MARK: Clocks and timers

    @inline(__always)
    private mutating func effectiveTime(_ t: Int64, _ record: Int64?) -> Int64 {
        guard let record, record >= 0 else { return t }
        let limit = record &+ configuration.maxFutureSkew
        if t > limit {
            statistics.futureClamped += 1
            return limit
        }
        return t
    }

    private mutating func advancePredictions(to t: Int64) {
        guard t > predictionClock else { return }
        predictionClock = t
        statistics.unattributedLabels += held.expire(through: t)
        removeExpiredEntries()
    }

    private mutating func advanceLabels(to t: Int64, output: inout JoinOutput) {
        guard t > labelClock else { return }
        labelClock = t
        while let next = closeTimers.peek(keyOf: closeKey), next.key <= labelClock {
            closeTimers.removePeeked(inFIFO: next.inFIFO)
            prefetchAhead(closeTimers, readsRecords: true)
            close(next.entry, output: &output)
        }
        removeExpiredEntries()
    }

    /// Timers fire in order, so what the next few will read is known: the entry 8 timers ahead is loaded, and for
    /// the one 4 ahead (whose entry is loaded by now) its request-id record, label state and, when `readsRecords`
    /// (a close writes the example), its members. A hint only: it changes no state.
    @inline(__always)
    private func prefetchAhead(_ timers: TimerQueue, readsRecords: Bool) {
        entries.withUnsafeBufferPointer { held in
            if let far = timers.upcoming(8), far >= 0, Int(far) < held.count { tideline_prefetch(held.baseAddress! + Int(far)) }
            guard let near = timers.upcoming(4), near >= 0, Int(near) < held.count else { return }
            let entry = held[Int(near)]
            guard entry.isLive else { return }
            requestIDArena.withUnsafeBytes { ids in
                if Int(entry.requestIDOffset) < ids.count { tideline_prefetch(ids.baseAddress! + Int(entry.requestIDOffset)) }
            }
            if entry.hasLabelState { labelStates.prefetch(near) }
            guard readsRecords else { return }
            arena.withUnsafeBytes { members in
                // At most the first 512 bytes: members of 0x7FFF bytes or more (`longMembers`) are rare, and long.
                let start = Int(entry.membersOffset), end = min(start + min(Int(entry.membersLength), 512), members.count)
                var line = start & ~63
                while line < end { tideline_prefetch(members.baseAddress! + line); line += 64 }
            }
        }
    }

    /// When a held prediction's window closes (labels clock, ms): its time + window + grace.
    @inline(__always)
    func closeKey(_ e: Int32) -> Int64 {
        let entry = entries[Int(e)]
        return entry.time &+ models[Int(entry.model)].closeOffset
    }

    /// When a closed prediction stops taking corrections (both clocks, ms): its close key + correction horizon.
    @inline(__always)
    func removalKey(_ e: Int32) -> Int64 {
        let entry = entries[Int(e)]
        return entry.time &+ models[Int(entry.model)].removalOffset
    }

    /// How long a label naming `model` (or `HeldLabels.anyModel`) waits on the predictions clock: B + g.
    @inline(__always)
    func backwardReach(_ model: UInt16) -> Int64 {
        model == HeldLabels.anyModel ? widestBackwardReach : models[Int(model)].backwardReach
    }

    private mutating func removeExpiredEntries() {
        let limit = min(labelClock, predictionClock)
        while let next = removalTimers.peek(keyOf: removalKey), next.key <= limit {
            removalTimers.removePeeked(inFIFO: next.inFIFO)
            prefetchAhead(removalTimers, readsRecords: false)
            removeEntry(next.entry)
        }
        maybeCompactArena()
    }

    private mutating func evictWhileOverBound(output: inout JoinOutput) {
        while isOverBound {
            if let next = closeTimers.peek(keyOf: closeKey) {
                closeTimers.removePeeked(inFIFO: next.inFIFO)
                close(next.entry, output: &output)
            } else if let next = removalTimers.peek(keyOf: removalKey) {
                removalTimers.removePeeked(inFIFO: next.inFIFO)
                removeEntry(next.entry)
            } else {
                break
            }
            statistics.evictedEarly += 1
        }
        maybeCompactArena()
    }

    // MARK: Entries

    private mutating func allocateEntry(_ entry: PendingPrediction) -> Int32 {
        // First in, first out: an entry number is reused in the order entries were removed, which is the order
        // they were added, so entries stay in arrival order in the array and the timers' walks over them
        // (closing, removing) read it nearly in sequence. Reused last in, first out, the order reversed within
        // each batch of removals and decayed, generation after generation, into a random walk (3 % of the
        // operator in cache misses).
        if let free = freeEntries.popFirst() {
            entries[Int(free)] = entry
            return free
        }
        entries.append(entry)
        return Int32(entries.count - 1)
    }

    /// Appends a request-id record, `[clock delta, Int32][request-id length, LEB128][request id]`, to the
    /// request-id arena; returns its offset.
    mutating func appendRequestID(_ rid: UnsafeBufferPointer<UInt8>, clockDelta: Int32) -> UInt32 {
        let offset = requestIDArena.count
        precondition(offset < Int(PendingPrediction.freeOffset), "the request-id arena passed 4 GiB")
        // Written in place (room for the longest LEB128 length of an `Int`: 10 bytes).
        requestIDArena.append(upTo: PendingPrediction.headerBytes + 10 + rid.count) { base in
            var w = ByteCursor(base)
            withUnsafeBytes(of: clockDelta.littleEndian) { w.put($0.assumingMemoryBound(to: UInt8.self)) }
            var length = rid.count
            while length >= 0x80 {
                w.put(UInt8(truncatingIfNeeded: length) | 0x80)
                length >>= 7
            }
            w.put(UInt8(length))
            w.put(rid)
            return w.position - base
        }
        return UInt32(offset)
    }

    /// Encodes a prediction's example members into the members arena: in place when they are certainly short (less
    /// than `longMembers` bytes at their longest), otherwise in a temporary buffer first (`appendMembers` then
    /// writes their length in front of them if they turn out long).
    private mutating func storeMembers(_ p: PredictionEvent) -> (offset: UInt32, length: UInt16) {
        // A score's text as decoded is copied straight into the members; a score built in code is formatted by
        // `scratch` first.
        let scoreFromScratch = !p.hasDecodedScoreText
        var room = 80
        if case .score = p.prediction {
            if scoreFromScratch {
                scratch.removeAll()
                p.writePrediction(into: &scratch)
                room += scratch.bytes.count
            } else {
                room += PredictionEvent.maxDecodedScoreTextBytes
            }
        }
        // Room: each string escaped at worst (6 bytes per byte, and quotes), the member syntax.
        @inline(__always) func quotedRoom(_ s: String?) -> Int { (s?.utf8.count ?? 0) * 6 + 2 }
        room += p.features.withJSONBytes { $0.count }
            + quotedRoom(p.modelVersion) + quotedRoom(p.variant) + quotedRoom(p.entityID) + quotedRoom(p.itemID)
        if case .label(let l) = p.prediction { room += quotedRoom(l) }
        if room < Int(PendingPrediction.longMembers) {
            let offset = arena.count
            precondition(offset < Int(UInt32.max), "the members arena passed 4 GiB")
            arena.append(upTo: room) { base in Self.writeMembers(p, scratch: scoreFromScratch ? scratch.bytes : nil, to: base) }
            return (UInt32(offset), UInt16(arena.count - offset))
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer in
            let written = Self.writeMembers(p, scratch: scoreFromScratch ? scratch.bytes : nil, to: buffer.baseAddress!)
            precondition(written <= room, "prediction members overran their buffer")
            return appendMembers(UnsafeBufferPointer(start: buffer.baseAddress!, count: written))
        }
    }

    /// Writes a prediction's example members at `base` (a score's text from `scoreText` when given, otherwise as
    /// decoded); returns the byte count.
    @inline(__always)
    private static func writeMembers(_ p: PredictionEvent, scratch scoreText: [UInt8]?, to base: UnsafeMutablePointer<UInt8>) -> Int {
        var w = ByteCursor(base)
        w.put(ExampleSyntax.modelVersion)
        w.putQuoted(p.modelVersion)
        if let v = p.variant { w.put(ExampleSyntax.variant); w.putQuoted(v) }
        if let v = p.entityID { w.put(ExampleSyntax.entityID); w.putQuoted(v) }
        if let v = p.itemID { w.put(ExampleSyntax.itemID); w.putQuoted(v) }
        w.put(ExampleSyntax.features)
        p.features.withJSONBytes { w.put($0.assumingMemoryBound(to: UInt8.self)) }
        w.put(ExampleSyntax.prediction)
        switch p.prediction {
        case .score:
            if let scoreText { scoreText.withUnsafeBufferPointer { w.put($0) } } else { w.putDecodedScoreText(of: p) }
        case .label(let l): w.putQuoted(l)
        }
        return w.position - base
    }

    /// Appends encoded members to the members arena, long ones (0x7FFF bytes or more) after their 4-byte length;
    /// returns the entry's `membersOffset` and `membersLength`.
    mutating func appendMembers(_ members: UnsafeBufferPointer<UInt8>) -> (offset: UInt32, length: UInt16) {
        let offset = arena.count
        precondition(offset < Int(UInt32.max), "the members arena passed 4 GiB")
        guard members.count >= Int(PendingPrediction.longMembers) else {
            arena.append(contentsOf: members)
            return (UInt32(offset), UInt16(members.count))
        }
        withUnsafeBytes(of: UInt32(members.count).littleEndian) { arena.append(contentsOf: $0) }
        arena.append(contentsOf: members)
        return (UInt32(offset), PendingPrediction.longMembers)
    }

    /// Where an entry's members are in the members arena.
    @inline(__always)
    func membersRange(_ entry: PendingPrediction) -> Range<Int> {
        arena.withUnsafeBytes { Self.membersRange(entry, in: $0) }
    }

    /// Where an entry's members are in `arena` bytes: `membersLength` bytes at their offset, or, for long ones,
    /// the length stored in the 4 bytes at their offset and the members after them.
    @inline(__always)
    static func membersRange(_ entry: PendingPrediction, in arena: UnsafeRawBufferPointer) -> Range<Int> {
        let o = Int(entry.membersOffset)
        if entry.membersLength != PendingPrediction.longMembers { return o ..< o + Int(entry.membersLength) }
        let n = Int(UInt32(littleEndian: arena.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        return o + 4 ..< o + 4 + n
    }

    /// Where an entry's request id is in the request-id arena.
    @inline(__always)
    func requestIDRange(_ entry: PendingPrediction) -> Range<Int> {
        requestIDArena.withUnsafeBufferPointer { Self.requestIDRange(entry, in: $0) }
    }

    /// Where an entry's request id is in request-id arena bytes `a` (after its record's header and length).
    @inline(__always)
    static func requestIDRange(_ entry: PendingPrediction, in a: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        requestIDRange(a, at: Int(entry.requestIDOffset) + PendingPrediction.headerBytes)
    }

    /// Bytes an entry occupies in each arena: its whole request-id record, and its members with the length in
    /// front of long ones.
    @inline(__always)
    func storedLengths(_ entry: PendingPrediction) -> (requestID: Int, members: Int) {
        (requestIDRange(entry).upperBound - Int(entry.requestIDOffset), membersRange(entry).upperBound - Int(entry.membersOffset))
    }

    /// Bytes an entry's payload (request-id length and request id, and members) occupies in the arenas, beyond
    /// the request-id record's header: what `pendingBytes` charges for it.
    @inline(__always)
    func payloadLength(_ entry: PendingPrediction) -> Int {
        let stored = storedLengths(entry)
        return stored.requestID - PendingPrediction.headerBytes + stored.members
    }

    /// The predictions clock (ms) when the entry's prediction arrived, from its request-id record's header.
    @inline(__always)
    func predictionClockBefore(_ entry: PendingPrediction) -> Int64 {
        let o = Int(entry.requestIDOffset)
        let delta = requestIDArena.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(fromByteOffset: o, as: Int32.self)) }
        return entry.time &+ Int64(delta)
    }

    /// Where a request id starts and how long it is, from its LEB128 length at `offset`.
    @inline(__always)
    static func requestIDRange(_ a: UnsafeBufferPointer<UInt8>, at offset: Int) -> Range<Int> {
        var o = offset, length = 0, shift = 0
        while a[o] & 0x80 != 0 {
            length |= Int(a[o] & 0x7F) << shift
            shift += 7
            o += 1
        }
        length |= Int(a[o]) << shift
        return (o + 1) ..< (o + 1 + length)
    }

    @inline(__always)
    func requestIDEquals(_ entry: PendingPrediction, _ rid: UnsafeBufferPointer<UInt8>) -> Bool {
        requestIDArena.withUnsafeBufferPointer { a in
            let r = Self.requestIDRange(entry, in: a)
            guard r.count == rid.count else { return false }
            return r.isEmpty || memcmp(a.baseAddress! + r.lowerBound, rid.baseAddress!, r.count) == 0
        }
    }

    private mutating func removeEntry(_ e: Int32) {
        let entry = entries[Int(e)]
        // Its index slot is left as it is (reading it back was a cache miss, 5 % of the operator): lookups check
        // that what a slot leads to is live and theirs, and the next rebuild drops the slot.
        index.forget()
        if entry.flags & PendingPrediction.extraFingerprintsFlag != 0 { extraFingerprints[e] = nil }
        if entry.flags & PendingPrediction.stringAggregateFlag != 0 { stringAggregates[e] = nil }
        if entry.hasLabelState {
            labelStates.remove(e)
            entries[Int(e)].hasLabelState = false
        }
        let stored = storedLengths(entry)
        requestIDGarbage += stored.requestID
        arenaGarbage += stored.members
        payloadBytes -= stored.requestID - PendingPrediction.headerBytes + stored.members
        liveCount -= 1
        entries[Int(e)].requestIDOffset = PendingPrediction.freeOffset
        entries[Int(e)].flags = 0
        freeEntries.append(e)
    }

    /// Compacts the arenas in place when one of them is more than half garbage: live records slide down in offset
    /// order (found by a radix sort of the live entries by offset), so the buffer, its capacity and its resident
    /// pages are reused; no allocation, no page faults, no growth while the live size is steady.
    ///
    /// Both arenas hold one record per held prediction in the same order (arrival), and lose them together, so
    /// when one is half garbage the other nearly is: one sort orders both, and the other is compacted with it once
    /// 40 % of it is garbage (one sort, not two).
    private mutating func maybeCompactArena() {
        let members = arenaGarbage > 1 << 20 && arenaGarbage * 2 > arena.count
        let ids = requestIDGarbage > 1 << 18 && requestIDGarbage * 2 > requestIDArena.count
        guard members || ids else { return }
        let order = liveEntries(byOffset: { $0.requestIDOffset })
        if members || (arenaGarbage > 1 << 20 && arenaGarbage * 5 > arena.count * 2) {
            var buffer = arena  // moved out (the property is emptied next), so the closures below own it alone
            arena = ByteArena()
            compact(&buffer, in: order, offset: { $0.membersOffset }, setOffset: { $0.membersOffset = $1 },
                    end: { Self.membersRange($0, in: $1).upperBound })
            arena = buffer
            arenaGarbage = 0
        }
        if ids || (requestIDGarbage > 1 << 18 && requestIDGarbage * 5 > requestIDArena.count * 2) {
            var buffer = requestIDArena
            requestIDArena = ByteArena()
            compact(&buffer, in: order, offset: { $0.requestIDOffset }, setOffset: { $0.requestIDOffset = $1 }, end: { entry, a in
                Self.requestIDRange(entry, in: a.assumingMemoryBound(to: UInt8.self)).upperBound
            })
            requestIDArena = buffer
            requestIDGarbage = 0
        }
    }

    /// Slides the records of the live entries in `order` (keys of `liveEntries(byOffset:)`, which must list them in
    /// the order of their records in `buffer`) down to its start and drops the rest. `offset`/`setOffset` read
    /// and move an entry's record start; `end` finds where the record ends.
    private mutating func compact(_ buffer: inout ByteArena, in order: [UInt64], offset: (PendingPrediction) -> UInt32,
                                  setOffset: (inout PendingPrediction, UInt32) -> Void,
                                  end: (PendingPrediction, UnsafeRawBufferPointer) -> Int) {
        var target = 0
        buffer.withUnsafeMutableBytes { a in
            for key in order {
                let e = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
                let from = Int(offset(entries[e])), n = end(entries[e], UnsafeRawBufferPointer(a)) - from
                // In order, each record starts at or after where the previous one was moved to.
                precondition(from >= target, "join arena compaction: records out of order")
                if from != target { memmove(a.baseAddress! + target, a.baseAddress! + from, n) }
                setOffset(&entries[e], UInt32(target))
                target += n
            }
        }
        buffer.removeLast(buffer.count - target)
        arenaCompactions += 1
    }

    /// The live entries in the order of an arena offset: keys with the offset in the high 32 bits and the entry
    /// number in the low 32. Both arenas hold records in arrival order (appends, order-keeping compaction), so
    /// this is the order the predictions were accepted in.
    func liveEntries(byOffset offset: (PendingPrediction) -> UInt32) -> [UInt64] {
        var order: [UInt64] = []
        order.reserveCapacity(liveCount)
        for i in entries.indices where entries[i].isLive {
            order.append(UInt64(offset(entries[i])) << 32 | UInt64(UInt32(i)))
        }
        Self.radixSortByHighWord(&order)
        return order
    }

    /// Sorts keys by their high 32 bits (least-significant-digit radix sort, 11 bits per pass).
    static func radixSortByHighWord(_ keys: inout [UInt64]) {
        guard keys.count > 1 else { return }
        var scratch = [UInt64](repeating: 0, count: keys.count)
        var counts = [Int](repeating: 0, count: 2049)
        for shift in stride(from: 32, to: 64, by: 11) {
            for i in counts.indices { counts[i] = 0 }
            for k in keys { counts[Int((k >> UInt64(shift)) & 0x7FF) + 1] += 1 }
            if counts.contains(keys.count) { continue }  // every key has the same digit: nothing to move
            for i in 1 ..< counts.count { counts[i] += counts[i - 1] }
            for k in keys {
                let d = Int((k >> UInt64(shift)) & 0x7FF)
                scratch[counts[d]] = k
                counts[d] += 1
            }
            swap(&keys, &scratch)
        }
    }

    // MARK: Labels

    struct IncomingLabel {
        var time: Int64
        var fingerprint: UInt64
        var value: LabelValue
    }

    /// A label's identity for duplicate detection: its time, value, model and source. `modelHash`, when given,
    /// is `StableHash.hash(model, seed: 7)` already computed (a model slot keeps it).
    static func fingerprint(_ label: LabelEvent, time: Int64, modelHash: UInt64? = nil) -> UInt64 {
        var h = StableHash.combine(StableHash.defaultSeed, UInt64(bitPattern: time))
        switch label.label {
        case .number(let v): h = StableHash.combine(h, 1 ^ (v.bitPattern &* 3))
        case .bool(let b): h = StableHash.combine(h, b ? 2 : 4)
        case .string(let s): h = StableHash.combine(h, StableHash.hash(s, seed: 5))
        }
        h = StableHash.combine(h, modelHash ?? label.model.map { StableHash.hash($0, seed: 7) } ?? 6)
        h = StableHash.combine(h, label.source.map { StableHash.hash($0, seed: 9) } ?? 8)
        return h == 0 ? 1 : h
    }

    /// Applies a label to a prediction's aggregate. Returns false (and counts) for a duplicate or a label the
    /// aggregation cannot use.
    @discardableResult
    private mutating func apply(_ label: IncomingLabel, to e: Int32, policy: JoinPolicy, onTime: Bool) -> Bool {
        var entry = entries[Int(e)]
        var state = entry.hasLabelState ? labelStates[e] : LabelAggregate()
        if state.fingerprint == label.fingerprint
            || (entry.flags & PendingPrediction.extraFingerprintsFlag != 0 && extraFingerprints[e]!.contains(label.fingerprint)) {
            statistics.duplicateLabels += 1
            return false
        }
        let numeric: Double?
        switch label.value {
        case .number(let v): numeric = v
        case .bool(let b): numeric = b ? 1 : 0
        case .string: numeric = nil
        }
        if numeric == nil && (policy.aggregation == .sum || policy.aggregation == .max) {
            statistics.mismatchedLabels += 1
            return false
        }
        if state.fingerprint == 0 {
            state.fingerprint = label.fingerprint
        } else {
            entry.flags |= PendingPrediction.extraFingerprintsFlag
            extraFingerprints[e, default: []].append(label.fingerprint)
        }
        let delay = PendingPrediction.delta(label.time, from: entry.time)
        let hasValue = state.kind != .none
        func take() {
            switch label.value {
            case .number(let v): state.value = v; state.kind = .number
            case .bool(let b): state.value = b ? 1 : 0; state.kind = .bool
            case .string(let s):
                state.value = 0
                state.kind = .string
                stringAggregates[e] = s
                entry.flags |= PendingPrediction.stringAggregateFlag
            }
            state.delay = delay
        }
        switch policy.aggregation {
        case .first: if !hasValue || delay < state.delay { take() }
        case .last: if !hasValue || delay >= state.delay { take() }
        case .max: if !hasValue || numeric! > state.value { take() }
        case .sum:
            state.value = (hasValue ? state.value : 0) + numeric!
            state.kind = .number
            if !hasValue || delay > state.delay { state.delay = delay }
        case .count:
            state.value = (hasValue ? state.value : 0) + 1
            state.kind = .number
            if !hasValue || delay > state.delay { state.delay = delay }
        }
        if onTime {
            state.onTimeLabels &+= state.onTimeLabels == .max ? 0 : 1
            statistics.recordDelay(Int64(delay))
        }
        if entry.hasLabelState { labelStates[e] = state } else { addLabelState(e, &entry, state) }
        entries[Int(e)] = entry
        return true
    }

    /// Stores held entry `e`'s first label state and marks `entry` (its copy, which the caller stores) as having one.
    mutating func addLabelState(_ e: Int32, _ entry: inout PendingPrediction, _ state: LabelAggregate) {
        labelStates.add(e, state)
        entry.hasLabelState = true
    }

    /// The held label at `position`, to apply to a prediction.
    @inline(__always)
    func heldLabel(_ position: Int32) -> IncomingLabel {
        let record = held[position]
        return IncomingLabel(time: record.time, fingerprint: record.fingerprint, value: held.value(record))
    }

    /// The label state of held entry `e` (empty when no label reached it).
    @inline(__always)
    func labelState(_ e: Int32) -> LabelAggregate {
        entries[Int(e)].hasLabelState ? labelStates[e] : LabelAggregate()
    }

    // MARK: Emission

    private mutating func close(_ e: Int32, output: inout JoinOutput) {
        var entry = entries[Int(e)]
        // Not retained: `models` holds every slot for the operator's life (a retain and release per example, 1 %).
        unowned(unsafe) let slot = models[Int(entry.model)]
        entry.flags |= PendingPrediction.closedFlag
        entries[Int(e)] = entry
        openCount -= 1
        removalTimers.push(entry.time &+ slot.removalOffset, e)
        if labelState(e).onTimeLabels > 0 {
            statistics.observed += 1
            emit(e, kind: .observed, sequence: 0, output: &output)
        } else if let label = slot.policy.defaultLabel {
            statistics.implicit += 1
            emit(e, kind: .implicit, sequence: 0, defaultLabel: label, output: &output)
        } else {
            statistics.dropped += 1
        }
    }

    private mutating func emitCorrection(_ e: Int32, output: inout JoinOutput) {
        // A correction follows an applied label: the state exists.
        labelStates[e].corrections &+= labelStates[e].corrections == .max ? 0 : 1
        statistics.corrections += 1
        emit(e, kind: .correction, sequence: Int(labelStates[e].corrections), output: &output)
    }

    /// Encodes one `labeled-examples` value into `output`, written in place through a `ByteCursor` (room for the
    /// longest it can be is reserved first). The example members stored with the prediction are copied verbatim.
    private mutating func emit(_ e: Int32, kind: LabelKind, sequence: Int, defaultLabel: LabelValue? = nil, output: inout JoinOutput) {
        let entry = entries[Int(e)]
        let state = labelState(e)
        unowned(unsafe) let slot = models[Int(entry.model)]  // as in `close`
        // The label's text: a literal for booleans, otherwise written by `scratch` first.
        var literal: StaticString?
        if let defaultLabel {
            if case .bool(let b) = defaultLabel { literal = b ? "true" : "false" } else { scratch.removeAll(); scratch.label(defaultLabel) }
        } else {
            switch state.kind {
            case .bool: literal = state.value != 0 ? "true" : "false"
            case .string: scratch.removeAll(); scratch.string(stringAggregates[e] ?? "")
            case .number, .none: scratch.removeAll(); scratch.number(state.value)
            }
        }
        let start = output.storage.count
        requestIDArena.withUnsafeBufferPointer { ra in arena.withUnsafeBufferPointer { a in
            let rid = UnsafeBufferPointer(rebasing: ra[Self.requestIDRange(entry, in: ra)])
            let fragment = UnsafeBufferPointer(rebasing: a[Self.membersRange(entry, in: UnsafeRawBufferPointer(a))])
            let room = Self.exampleFixedRoom + rid.count * 6 + 2 + slot.quotedName.count + fragment.count
                + (literal == nil ? scratch.bytes.count : 5)
            output.storage.append(upTo: room) { base in
                var w = ByteCursor(base)
                w.put(ExampleSyntax.eventID)
                Self.writeEventID(to: &w, modelSeed: slot.idSeed, rid: UnsafeRawBufferPointer(rid), time: entry.time, sequence: sequence)
                w.put(ExampleSyntax.requestID)
                w.putQuoted(utf8: rid)
                w.put(ExampleSyntax.model)
                slot.quotedName.withUnsafeBufferPointer { w.put($0) }
                w.put(UInt8(ascii: ","))
                w.put(fragment)
                w.put(ExampleSyntax.label)
                if let literal { w.put(literal) } else { scratch.bytes.withUnsafeBufferPointer { w.put($0) } }
                switch kind {
                case .observed: w.put(ExampleSyntax.observed)
                case .implicit: w.put(ExampleSyntax.implicit)
                case .correction: w.put(ExampleSyntax.correction)
                }
                w.put(UInt8(ascii: "\""))
                w.putRFC3339(EventTime(milliseconds: entry.time), cache: &dayCache)
                if defaultLabel != nil {
                    w.put(ExampleSyntax.noLabelTime)
                } else {
                    w.put(ExampleSyntax.labelTime)
                    w.putRFC3339(EventTime(milliseconds: entry.time &+ Int64(state.delay)), cache: &dayCache)
                    w.put(ExampleSyntax.labelDelay)
                    w.putInt(Int64(state.delay))
                }
                w.put(UInt8(ascii: "}"))
                return w.position - base
            }
        } }
        output.append(start: start, model: slot.name, kind: kind, labelDelayMilliseconds: defaultLabel == nil ? Int64(state.delay) : -1)
    }

    /// Room for everything in an example but the request id, model name, stored members and label text: the
    /// syntax (at most 160 bytes), the quoted event id (34), two times (48) and a delay (20), with slack.
    static let exampleFixedRoom = 320

    private static func writeEventID(to w: inout ByteCursor, modelSeed: UInt64, rid: UnsafeRawBufferPointer, time: Int64, sequence: Int) {
        let base = StableHash.combine(StableHash.combine(modelSeed, UInt64(bitPattern: time)), UInt64(sequence))
        let (a, b) = StableHash.hashPair(rid, seeds: (base, base ^ 0x5851_F42D_4C95_7F2D))
        w.put(UInt8(ascii: "\""))
        w.putHex(a)
        w.putHex(b)
        w.put(UInt8(ascii: "\""))
    }

    /// The deterministic `event_id` of an example: 32 hex digits from the model, request id, prediction time
    /// and the example's sequence for that prediction (0 for the first, n for the n-th correction).
    public static func eventID(model: String, requestID: UnsafeRawBufferPointer, time: Int64, sequence: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 34) { buffer, count in
            var w = ByteCursor(buffer.baseAddress!)
            writeEventID(to: &w, modelSeed: StableHash.hash(model, seed: 11), rid: requestID, time: time, sequence: sequence)
            count = w.position - buffer.baseAddress!
        }
    }

    // MARK: Models

    /// The number of model `name`, given one on first sight. No "last model" shortcut in front of the table: with
    /// models interleaved (64 in `tideline bench join`), comparing each name with the previous one took the slow
    /// path of `String` comparison and cost more than the lookup it saved (paired 1.093 and 1.045 without it).
    mutating func modelNumber(_ name: String) -> UInt16 {
        if let n = modelNumbers.number(of: name) { return n }
        precondition(models.count < Self.maxModels, "more than \(Self.maxModels) models in one join operator (check admits(model:) first)")
        let n = UInt16(models.count)
        var w = JSONWriter(capacity: name.utf8.count + 2)
        w.string(name)
        let policy = configuration.policy(for: name)
        models.append(ModelSlot(name: name, quotedName: w.bytes, policy: policy, idSeed: StableHash.hash(name, seed: 11),
                                closeOffset: policy.window &+ policy.grace,
                                removalOffset: policy.window &+ policy.grace &+ policy.correctionHorizon))
        _ = modelNumbers.add(name)
        return n
    }
}

/// What the operator knows about one model: immutable, shared by reference (reading a slot costs one
/// reference count, not one per field).
final class ModelSlot: Sendable {
    let name: String
    let quotedName: [UInt8]
    let policy: JoinPolicy
    /// `StableHash` of the name, the first input of every event id of this model.
    let idSeed: UInt64
    /// Window + grace (ms): a prediction's window closes at its time + this.
    let closeOffset: Int64
    /// Window + grace + correction horizon (ms): a closed prediction is dropped at its time + this.
    let removalOffset: Int64
    /// Backward window + grace (ms): how long a label naming this model waits for its prediction.
    let backwardReach: Int64
    /// `StableHash` of the name with seed 7: the model's part of a label fingerprint.
    let fingerprintSeed: UInt64

    init(name: String, quotedName: [UInt8], policy: JoinPolicy, idSeed: UInt64, closeOffset: Int64, removalOffset: Int64) {
        self.name = name
        self.quotedName = quotedName
        self.policy = policy
        self.idSeed = idSeed
        self.closeOffset = closeOffset
        self.removalOffset = removalOffset
        self.backwardReach = policy.backwardWindow &+ policy.grace
        self.fingerprintSeed = StableHash.hash(name, seed: 7)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pre-encoded pieces of a `labeled-examples` value. Static strings, not arrays: appending one costs no
/// reference count and no lazy-initialization check.
enum ExampleSyntax {
    static let eventID: StaticString = #"{"event_id":"#
    static let requestID: StaticString = #","request_id":"#
    static let model: StaticString = #","model":"#
    static let label: StaticString = #","label":"#
    static let observed: StaticString = #","label_kind":"observed","prediction_time":"#
    static let implicit: StaticString = #","label_kind":"implicit","prediction_time":"#
    static let correction: StaticString = #","label_kind":"correction","prediction_time":"#
    static let labelTime: StaticString = #"","label_time":""#
    static let labelDelay: StaticString = #"","label_delay_ms":"#
    static let noLabelTime: StaticString = #"","label_time":null,"label_delay_ms":null"#
    static let modelVersion: StaticString = #""model_version":"#
    static let variant: StaticString = #","variant":"#
    static let entityID: StaticString = #","entity_id":"#
    static let itemID: StaticString = #","item_id":"#
    static let features: StaticString = #","features":"#
    static let prediction: StaticString = #","prediction":"#
}

extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of a static string.
    @inline(__always)
    mutating func append(_ s: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
