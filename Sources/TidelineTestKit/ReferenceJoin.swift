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
    struct Pred {
        var event: PredictionEvent
        var time: Int64
        var clockBefore: Int64
    }
    struct Lab {
        var event: LabelEvent
        var time: Int64
        var clockBefore: Int64
    }

    static func effective(_ t: Int64, _ record: Int64?, _ config: JoinConfiguration) -> Int64 {
        guard let record, record >= 0 else { return t }
        return min(t, record + config.maxFutureSkew)
    }

    public static func run(_ config: JoinConfiguration, predictions: [Item<PredictionEvent>], labels: [Item<LabelEvent>]) -> [LabeledExample] {
        var clock = Int64.min
        var preds: [Pred] = []
        for item in predictions {
            switch item {
            case .punctuation(let t): clock = max(clock, t)
            case .event(let p, let record):
                let t = effective(p.timestamp.milliseconds, record, config)
                preds.append(Pred(event: p, time: t, clockBefore: clock))
                clock = max(clock, t)
            }
        }
        var labelClock = Int64.min
        var labs: [Lab] = []
        for item in labels {
            switch item {
            case .punctuation(let t): labelClock = max(labelClock, t)
            case .event(let l, let record):
                let t = effective(l.timestamp.milliseconds, record, config)
                labs.append(Lab(event: l, time: t, clockBefore: labelClock))
                labelClock = max(labelClock, t)
            }
        }

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
