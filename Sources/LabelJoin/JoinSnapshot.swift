import Events

/// Binary snapshots of a join operator: what a checkpoint stores. The format is versioned, little-endian,
/// and holds only live state (held predictions with their payloads, held labels, clocks, counters); indexes and
/// timers are rebuilt on restore. Restoring and then feeding the events after the snapshot gives exactly the
/// output of an operator that never stopped.
extension LabelJoinOperator {
    static let snapshotMagic: UInt32 = 0x544C_4A32  // "TLJ2" (payloads start with a LEB128 request-id length)

    /// Serializes the operator's state.
    public func snapshot() -> [UInt8] {
        var w = SnapshotWriter()
        // Room for all of it at once (an estimate from above): grown by doubling, a snapshot of hundreds of MB was
        // copied and faulted in again at every step.
        w.bytes.reserveCapacity(256 + models.count * 64 + liveCount * 64 + payloadBytes + held.chargedBytes + held.count * 96)
        w.u32(Self.snapshotMagic)
        w.i64(predictionClock)
        w.i64(labelClock)
        w.u64(labelSequence)
        w.statistics(statistics)
        w.u32(UInt32(models.count))
        for m in models { w.string(m.name) }

        w.u32(UInt32(liveCount))
        // In arrival order, not by entry number: the bytes then depend only on the state, not on how entry
        // numbers were handed out and reused (restore numbers them in this order).
        for key in liveEntries(byOffset: { $0.requestIDOffset }) {
            let i = Int(truncatingIfNeeded: key & 0xFFFF_FFFF)
            let e = entries[i]
            let state = labelState(Int32(i))
            // The format keeps the request id's full 64-bit hash (entries keep 32 bits of it): recompute it.
            let ridRange = requestIDRange(e)
            let fullHash = requestIDArena.withUnsafeBufferPointer { a in
                StableHash.hash(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: a[ridRange])))
            }
            w.u64(fullHash); w.i64(e.time); w.f64(state.value); w.u64(state.fingerprint)
            w.i32(PendingPrediction.delta(predictionClockBefore(e), from: e.time)); w.i32(state.delay)
            w.u16(e.model); w.u16(state.corrections); w.u8(state.onTimeLabels)
            w.u8(e.flags & ~PendingPrediction.stringAggregateFlag); w.u8(state.kindRaw)
            // The payload, as one field: request-id length and request id, then the members.
            let lengthStart = Int(e.requestIDOffset) + PendingPrediction.headerBytes, members = membersRange(e)
            w.u32(UInt32(ridRange.upperBound - lengthStart + members.count))
            requestIDArena.withUnsafeBytes { w.raw(UnsafeRawBufferPointer(rebasing: $0[lengthStart ..< ridRange.upperBound])) }
            arena.withUnsafeBytes { w.raw(UnsafeRawBufferPointer(rebasing: $0[members])) }
            if e.flags & PendingPrediction.extraFingerprintsFlag != 0 {
                let extra = extraFingerprints[Int32(i)] ?? []
                w.u32(UInt32(extra.count))
                for f in extra { w.u64(f) }
            }
            if state.kind == .string { w.string(stringAggregates[Int32(i)] ?? "") }
        }

        // Held labels in arrival order (earlier builds listed them by slot number: restored in that order, they
        // match and expire exactly the same, since matches are ordered by sequence and expiry by time).
        w.u32(UInt32(held.count))
        held.forEachLive { label, rid, value in
            w.u64(label.hash); w.bytes(rid); w.i64(label.time); w.i64(label.clockBefore); w.u64(label.sequence)
            w.u64(label.fingerprint); w.label(value); w.u16(label.model); w.u8(label.isAttributed ? 1 : 0)
            w.i64(label.expiry)
        }
        return w.bytes
    }

    /// Restores an operator from `snapshot()` bytes, under `configuration` (policies may have changed since).
    public init(configuration: JoinConfiguration, snapshot bytes: [UInt8]) throws(JoinSnapshotError) {
        self.init(configuration: configuration)
        var r = SnapshotReader(bytes)
        guard try r.u32() == Self.snapshotMagic else { throw JoinSnapshotError(message: "not a join snapshot (bad magic)") }
        predictionClock = try r.i64()
        labelClock = try r.i64()
        labelSequence = try r.u64()
        statistics = try r.statistics()
        let modelCount = Int(try r.u32())
        var numbers: [UInt16] = []
        for _ in 0 ..< modelCount { numbers.append(modelNumber(try r.string())) }

        let entryCount = Int(try r.u32())
        entries.reserveCapacity(entryCount)
        for _ in 0 ..< entryCount {
            let hash = try r.u64(), time = try r.i64(), aggregate = try r.f64(), fingerprint = try r.u64()
            let clockDelta = try r.i32(), aggregateDelay = try r.i32()
            let savedModel = Int(try r.u16())
            guard savedModel < numbers.count else { throw JoinSnapshotError(message: "model number out of range") }
            let corrections = try r.u16(), onTime = try r.u8(), flags = try r.u8(), kind = try r.u8()
            let payload = try r.bytes()
            let (ridOffset, members) = try payload.withUnsafeBufferPointer { p throws(JoinSnapshotError) in
                guard let rid = Self.checkedRequestIDRange(p) else { throw JoinSnapshotError(message: "a payload's request id is cut short") }
                return (appendRequestID(UnsafeBufferPointer(rebasing: p[rid]), clockDelta: clockDelta),
                        appendMembers(UnsafeBufferPointer(rebasing: p[rid.upperBound...])))
            }
            var entry = PendingPrediction(hash: StableHash.indexKey(hash), requestIDOffset: ridOffset, membersOffset: members.offset,
                                          membersLength: members.length, time: time, model: numbers[savedModel])
            entry.flags = flags
            let state = LabelAggregate(value: aggregate, fingerprint: fingerprint, delay: aggregateDelay, corrections: corrections,
                                       onTimeLabels: onTime, kindRaw: kind)
            let e = Int32(entries.count)
            if !state.isEmpty { addLabelState(e, &entry, state) }
            entries.append(entry)
            if flags & PendingPrediction.extraFingerprintsFlag != 0 {
                let n = Int(try r.u32())
                var extra: [UInt64] = []
                for _ in 0 ..< n { extra.append(try r.u64()) }
                extraFingerprints[e] = extra
            }
            if state.kind == .string {
                stringAggregates[e] = try r.string()
                entries[Int(e)].flags |= PendingPrediction.stringAggregateFlag
            }
            index.insert(e, hash: entry.hash) { [entries] in entries[Int($0)].hash }
            if flags & PendingPrediction.closedFlag != 0 {
                removalTimers.push(removalKey(e), e)
            } else {
                closeTimers.push(closeKey(e), e)
                openCount += 1
            }
            liveCount += 1
            payloadBytes += payloadLength(entry)
        }

        let heldCount = Int(try r.u32())
        for _ in 0 ..< heldCount {
            let hash = try r.u64(), rid = try r.bytes(), time = try r.i64(), clockBefore = try r.i64(), sequence = try r.u64()
            let fingerprint = try r.u64(), value = try r.label(), savedModel = try r.u16(), attributed = try r.u8() != 0
            _ = try r.i64()  // the expiry under the saving configuration; recomputed below under this one
            let model: UInt16
            if savedModel == HeldLabels.anyModel { model = savedModel } else {
                guard Int(savedModel) < numbers.count else { throw JoinSnapshotError(message: "model number out of range") }
                model = numbers[Int(savedModel)]
            }
            // Like close and removal keys, a held label's expiry follows the configuration it is restored under.
            rid.withUnsafeBufferPointer { rid in
                held.hold(requestID: rid, hash: hash, time: time, clockBefore: clockBefore, sequence: sequence, fingerprint: fingerprint,
                          value: value, model: model, attributed: attributed, expiry: time &+ backwardReach(model))
            }
        }
        guard r.isAtEnd else { throw JoinSnapshotError(message: "trailing bytes after snapshot") }
    }

    /// Where the request id that starts `payload` (after its LEB128 length) is, or nil when the payload is
    /// shorter than the length says: `requestIDRange(_:at:)` for bytes that were not written by this operator.
    static func checkedRequestIDRange(_ payload: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var o = 0, length = 0, shift = 0
        while o < payload.count && payload[o] & 0x80 != 0 && shift < 35 {
            length |= Int(payload[o] & 0x7F) << shift
            shift += 7
            o += 1
        }
        guard o < payload.count, payload[o] & 0x80 == 0 else { return nil }
        length |= Int(payload[o]) << shift
        return o + 1 + length <= payload.count ? o + 1 ..< o + 1 + length : nil
    }
}

/// A snapshot that cannot be read.
public struct JoinSnapshotError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "join snapshot: \(message)" }
}

struct SnapshotWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func bytes(_ b: some Collection<UInt8>) { u32(UInt32(b.count)); bytes.append(contentsOf: b) }
    /// Bytes without a length (the caller wrote it).
    mutating func raw(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }
    mutating func string(_ s: String) { bytes(Array(s.utf8)) }
    mutating func label(_ v: LabelValue) {
        switch v {
        case .number(let d): u8(0); f64(d)
        case .bool(let b): u8(1); u8(b ? 1 : 0)
        case .string(let s): u8(2); string(s)
        }
    }
    mutating func statistics(_ s: JoinStatistics) {
        for v in [s.predictions, s.labels, s.duplicatePredictions, s.duplicateLabels, s.expiredPredictions, s.observed, s.implicit,
                  s.dropped, s.corrections, s.tooLateLabels, s.unattributedLabels, s.mismatchedLabels, s.futureClamped, s.evictedEarly] {
            i64(Int64(v))
        }
        u32(UInt32(s.labelDelayCounts.count))
        for v in s.labelDelayCounts { i64(Int64(v)) }
    }
}

struct SnapshotReader {
    let data: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.data = bytes }

    var isAtEnd: Bool { position == data.count }

    private mutating func take(_ n: Int) throws(JoinSnapshotError) -> ArraySlice<UInt8> {
        guard n >= 0, position + n <= data.count else { throw JoinSnapshotError(message: "truncated at byte \(position)") }
        defer { position += n }
        return data[position ..< position + n]
    }
    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(JoinSnapshotError) -> T {
        let slice = try take(MemoryLayout<T>.size)
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { $0.copyBytes(from: slice) }
        return T(littleEndian: v)
    }
    mutating func u8() throws(JoinSnapshotError) -> UInt8 { try fixed(UInt8.self) }
    mutating func u16() throws(JoinSnapshotError) -> UInt16 { try fixed(UInt16.self) }
    mutating func u32() throws(JoinSnapshotError) -> UInt32 { try fixed(UInt32.self) }
    mutating func u64() throws(JoinSnapshotError) -> UInt64 { try fixed(UInt64.self) }
    mutating func i32() throws(JoinSnapshotError) -> Int32 { Int32(bitPattern: try u32()) }
    mutating func i64() throws(JoinSnapshotError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws(JoinSnapshotError) -> Double { Double(bitPattern: try u64()) }
    mutating func bytes() throws(JoinSnapshotError) -> [UInt8] {
        let n = Int(try u32())
        return Array(try take(n))
    }
    mutating func string() throws(JoinSnapshotError) -> String { String(decoding: try bytes(), as: UTF8.self) }
    mutating func label() throws(JoinSnapshotError) -> LabelValue {
        switch try u8() {
        case 0: return .number(try f64())
        case 1: return .bool(try u8() != 0)
        case 2: return .string(try string())
        case let tag: throw JoinSnapshotError(message: "unknown label tag \(tag)")
        }
    }
    mutating func statistics() throws(JoinSnapshotError) -> JoinStatistics {
        var s = JoinStatistics()
        var v: [Int] = []
        for _ in 0 ..< 14 { v.append(Int(try i64())) }
        (s.predictions, s.labels, s.duplicatePredictions, s.duplicateLabels, s.expiredPredictions, s.observed, s.implicit) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        (s.dropped, s.corrections, s.tooLateLabels, s.unattributedLabels, s.mismatchedLabels, s.futureClamped, s.evictedEarly) =
            (v[7], v[8], v[9], v[10], v[11], v[12], v[13])
        let n = Int(try u32())
        var counts: [Int] = []
        for _ in 0 ..< n { counts.append(Int(try i64())) }
        if counts.count == s.labelDelayCounts.count { s.labelDelayCounts = counts }
        return s
    }
}
