public import Events
public import LabelJoin

/// One input position: an event with its Kafka record timestamp, or a punctuation (idle advance).
public enum Item<Event> {
    case event(Event, record: Int64?)
    case punctuation(Int64)
}

/// The label join computed the plain way, straight from the semantics in `LabelJoinOperator`'s
/// documentation: whole input sequences of one partition in hand, every prediction checked against every
/// label of its request id, no incremental state, no timers. The property and crash tests compare the
/// operator and the stage with this.
public enum ReferenceJoin {
    /// An event with its guarded time and its input's clock just before it.
    struct Timed<Event> {
        var event: Event
        var time: Int64
        var clockBefore: Int64
    }
    typealias Pred = Timed<PredictionEvent>
    typealias Lab = Timed<LabelEvent>

    /// Walks one input in order: each event with the clock before it, and the clock at the end.
    static func clocked<E>(_ items: [Item<E>], time: (E) -> EventTime, _ config: JoinConfiguration) -> ([Timed<E>], Int64) {
        var clock = Int64.min
        var out: [Timed<E>] = []
        for item in items {
            switch item {
            case .punctuation(let t): clock = max(clock, t)
            case .event(let e, let record):
                let t = effective(time(e).milliseconds, record, config)
                out.append(Timed(event: e, time: t, clockBefore: clock))
                clock = max(clock, t)
            }
        }
        return (out, clock)
    }

    static func effective(_ t: Int64, _ record: Int64?, _ config: JoinConfiguration) -> Int64 {
        guard let record, record >= 0 else { return t }
        return min(t, record + config.maxFutureSkew)
    }

    public static func run(_ config: JoinConfiguration, predictions: [Item<PredictionEvent>], labels: [Item<LabelEvent>]) -> [LabeledExample] {
        let (preds, _) = clocked(predictions, time: \.timestamp, config)
        let (labs, labelClock) = clocked(labels, time: \.timestamp, config)

        // Accepted predictions: not expired on arrival, not an exact repeat of an accepted one.
        var accepted: [Pred] = []
        var acceptedKeys = Set<String>()
        for p in preds {
            let policy = config.policy(for: p.event.model)
            if p.clockBefore >= p.time + policy.window + policy.grace + policy.correctionHorizon { continue }
            if !acceptedKeys.insert("\(p.event.requestID)\u{0}\(p.event.model)\u{0}\(p.time)").inserted { continue }
            accepted.append(p)
        }
        var labelsByRequest: [String: [Lab]] = [:]
        for l in labs { labelsByRequest[l.event.requestID, default: []].append(l) }

        var out: [LabeledExample] = []
        for p in accepted {
            let policy = config.policy(for: p.event.model)
            let closeKey = p.time + policy.window + policy.grace
            guard labelClock >= closeKey else { continue }  // window still open: nothing yet
            var seen: [String] = []
            var onTime: [Lab] = []
            var late: [Lab] = []
            for l in labelsByRequest[p.event.requestID] ?? [] {
                guard l.event.model == nil || l.event.model == p.event.model,
                      l.time >= p.time - policy.backwardWindow, l.time <= p.time + policy.window,
                      p.clockBefore < l.time + policy.backwardWindow + policy.grace else { continue }
                let isOnTime = l.clockBefore < closeKey
                guard isOnTime || l.clockBefore < closeKey + policy.correctionHorizon else { continue }
                let fingerprint = "\(l.time)|\(l.event.label)|\(l.event.model ?? "-")|\(l.event.source ?? "-")"
                if seen.contains(fingerprint) { continue }
                if case .string = l.event.label, policy.aggregation == .sum || policy.aggregation == .max { continue }
                seen.append(fingerprint)
                if isOnTime { onTime.append(l) } else { late.append(l) }
            }
            func example(_ kind: LabelKind, _ sequence: Int, label: LabelValue, labelTime: Int64?) -> LabeledExample {
                let id = p.event.requestID.utf8.withContiguousStorageIfAvailable {
                    LabelJoinOperator.eventID(model: p.event.model, requestID: UnsafeRawBufferPointer($0), time: p.time, sequence: sequence)
                }!
                return LabeledExample(
                    eventID: String(decoding: id.dropFirst().dropLast(), as: UTF8.self), requestID: p.event.requestID,
                    model: p.event.model, modelVersion: p.event.modelVersion, variant: p.event.variant, entityID: p.event.entityID,
                    itemID: p.event.itemID, features: p.event.features, prediction: p.event.prediction, label: label, labelKind: kind,
                    predictionTime: EventTime(milliseconds: p.time), labelTime: labelTime.map { EventTime(milliseconds: $0) })
            }
            if !onTime.isEmpty {
                let (value, time) = aggregate(onTime, policy.aggregation)
                out.append(example(.observed, 0, label: value, labelTime: time))
            } else if let label = policy.defaultLabel {
                out.append(example(.implicit, 0, label: label, labelTime: nil))
            }
            for k in late.indices {
                let (value, time) = aggregate(onTime + late[0 ... k], policy.aggregation)
                out.append(example(.correction, k + 1, label: value, labelTime: time))
            }
        }
        return out
    }

    /// Folds labels in arrival order by the policy; returns the label and its time.
    static func aggregate(_ labels: [Lab], _ policy: LabelAggregation) -> (LabelValue, Int64) {
        func numeric(_ v: LabelValue) -> Double {
            switch v {
            case .number(let d): d
            case .bool(let b): b ? 1 : 0
            case .string: 0
            }
        }
        switch policy {
        case .first:
            var best = labels[0]
            for l in labels.dropFirst() where l.time < best.time { best = l }
            return (best.event.label, best.time)
        case .last:
            var best = labels[0]
            for l in labels.dropFirst() where l.time >= best.time { best = l }
            return (best.event.label, best.time)
        case .max:
            var best = labels[0]
            for l in labels.dropFirst() where numeric(l.event.label) > numeric(best.event.label) { best = l }
            return (best.event.label, best.time)
        case .sum:
            return (.number(labels.map { numeric($0.event.label) }.reduce(0, +)), labels.map(\.time).max()!)
        case .count:
            return (.number(Double(labels.count)), labels.map(\.time).max()!)
        }
    }
}

public import Kafka

extension ReferenceJoin {
    /// Reads every record of `topic` (partitions `0..<partitions`, from the beginning up to the current high
    /// watermarks) and returns them per partition in offset order as reference-join input, with their Kafka
    /// record timestamps. Records that do not decode are left out (the stage dead-letters them).
    public static func readBack<E: EventContract>(
        _ topic: String, partitions: Int, as: E.Type, client: KafkaClientConfiguration = SharedBroker.client(),
        timeout: Duration = .seconds(120)
    ) async throws -> [Int32: [Item<E>]] {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client), logger: quietLogger())
        try consumer.assign((0 ..< Int32(partitions)).map { TopicPartitionOffset(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
        var total = 0
        for p in 0 ..< Int32(partitions) { total += Int(try await consumer.watermarks(TopicPartition(topic: topic, partition: p)).high) }
        let messages = await ConsumerDrain.messages(from: consumer, count: total, timeout: timeout)
        await consumer.close()
        guard messages.count == total else { throw ReadBackError(message: "read \(messages.count) of \(total) records from \(topic)") }
        var byPartition: [Int32: [(Int64, Item<E>)]] = [:]
        for m in messages {
            guard let event = try? E.decode(m.value) else { continue }
            byPartition[m.partition, default: []].append((m.offset, .event(event, record: m.timestampMilliseconds)))
        }
        return byPartition.mapValues { $0.sorted { $0.0 < $1.0 }.map(\.1) }
    }

    /// The reference output for what is in two co-partitioned topics right now, keyed by `event_id`.
    public static func expected(
        _ config: JoinConfiguration, predictions: String, labels: String, partitions: Int,
        client: KafkaClientConfiguration = SharedBroker.client()
    ) async throws -> [String: LabeledExample] {
        let p = try await readBack(predictions, partitions: partitions, as: PredictionEvent.self, client: client)
        let l = try await readBack(labels, partitions: partitions, as: LabelEvent.self, client: client)
        var result: [String: LabeledExample] = [:]
        for partition in 0 ..< Int32(partitions) {
            for e in run(config, predictions: p[partition] ?? [], labels: l[partition] ?? []) { result[e.eventID] = e }
        }
        return result
    }

    public struct ReadBackError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

extension LabelJoinOperator {
    /// Feeds one item of the predictions input: the event (with its record timestamp), or a punctuation.
    public mutating func feed(_ item: Item<PredictionEvent>, into out: inout JoinOutput) {
        switch item {
        case .event(let p, let record): process(p, recordTimestamp: record, into: &out)
        case .punctuation(let t): advance(.predictions, to: t, into: &out)
        }
    }

    /// Feeds one item of the labels input: the event (with its record timestamp), or a punctuation.
    public mutating func feed(_ item: Item<LabelEvent>, into out: inout JoinOutput) {
        switch item {
        case .event(let l, let record): process(l, recordTimestamp: record, into: &out)
        case .punctuation(let t): advance(.labels, to: t, into: &out)
        }
    }
}

extension LabelJoinOperator {
    /// Feeds a run of items of the predictions input the way the join stage does: each event's `RequestKey`
    /// computed once, before the run, the operator hinted `lookahead` events ahead (`prefetch(_:)`), and each event
    /// processed with its key.
    public mutating func feedHinted(_ items: ArraySlice<Item<PredictionEvent>>, lookahead: Int = 8, into out: inout JoinOutput) {
        feedHinted(items, .predictions, lookahead: lookahead, requestID: \.requestID, into: &out) { op, p, key, record, out in
            op.process(p, key: key, recordTimestamp: record, into: &out)
        }
    }

    /// `feedHinted` for the labels input.
    public mutating func feedHinted(_ items: ArraySlice<Item<LabelEvent>>, lookahead: Int = 8, into out: inout JoinOutput) {
        feedHinted(items, .labels, lookahead: lookahead, requestID: \.requestID, into: &out) { op, l, key, record, out in
            op.process(l, key: key, recordTimestamp: record, into: &out)
        }
    }

    private mutating func feedHinted<Event>(
        _ items: ArraySlice<Item<Event>>, _ stream: JoinStream, lookahead: Int, requestID: (Event) -> String,
        into out: inout JoinOutput, process: (inout LabelJoinOperator, Event, RequestKey, Int64?, inout JoinOutput) -> Void
    ) {
        let keys = items.map { item -> RequestKey? in
            if case .event(let e, _) = item { RequestKey(requestID: requestID(e)) } else { nil }
        }
        for (k, item) in items.enumerated() {
            if k + lookahead < keys.count, let ahead = keys[k + lookahead] { prefetch(ahead) }
            switch item {
            case .event(let e, let record): process(&self, e, keys[k]!, record, &out)
            case .punctuation(let t): advance(stream, to: t, into: &out)
            }
        }
    }
}
