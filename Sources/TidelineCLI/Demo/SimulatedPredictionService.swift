import Events
import Foundation
import Kafka
import Logging
import Pipeline
import Training

/// The model the simulated service serves: the latest promoted version read from `model-updates`; until the
/// first promotion the slot (a `Locked<ServedModel?>`) is empty and the built-in model serves.
struct ServedModel {
    var version: String
    var scorer: ModelScorer
}

/// How far the simulated service has come; read by the live view.
struct ServiceProgress {
    var predictions = 0
    var labels = 0
    var deliveryFailures = 0
    var hasDrifted = false
    /// Every prediction is sent (labels still due keep flowing until the service is cancelled).
    var trafficSent = false
}

/// The demo's prediction service: synthetic requests (6 numeric and 2 categorical features) at `rate` per second of
/// wall clock, each scored by the model in `slot` and published to `predictions`; the label of each (a click drawn
/// from the ground truth) published to `labels` once its random delay has passed on the wall clock, or never.
/// From `driftAt` on the world changes (`SyntheticTraffic.driftAtIndex`). Event time is the wall clock: prediction
/// `i` is stamped `start + i / rate` and sent when that moment comes.
struct SimulatedPredictionService: Sendable {
    var client: KafkaClientConfiguration
    var predictionsTopic: String
    var labelsTopic: String
    var model: String
    var seed: UInt64
    /// Predictions per second.
    var rate: Int
    /// Milliseconds of traffic.
    var duration: Int64
    /// Milliseconds from the start to the drift.
    var driftAt: Int64
    /// Share of predictions that never get a label, and the mean label delay (ms).
    var missingLabelRate = 0.05
    var meanLabelDelay = 1_000.0

    /// Sends the traffic, then the labels still due, until done or cancelled. `start` is the event time of the
    /// first prediction and `clock` the instant it corresponds to.
    func run(start: EventTime, clock: ContinuousClock.Instant, slot: Locked<ServedModel?>, progress: Locked<ServiceProgress>, logger: Logger) async throws {
        let producer = try KafkaProducer(configuration: .init(client: client), logger: logger)
        var traffic = SyntheticTraffic(seed: seed, model: model, modelVersion: "builtin", start: start,
                                       intervalMilliseconds: 1_000 / Double(rate), missingLabelRate: missingLabelRate,
                                       meanLabelDelayMilliseconds: meanLabelDelay)
        let driftIndex = Int(driftAt * Int64(rate) / 1_000)
        traffic.driftAtIndex = driftIndex
        let total = Int(duration * Int64(rate) / 1_000)
        var sent = 0
        var pending: [LabelEvent] = []
        while !Task.isCancelled && (sent < total || !pending.isEmpty) {
            let elapsed = (ContinuousClock.now - clock).milliseconds
            let due = min(total, Int(elapsed * Int64(rate) / 1_000) + 1)
            var batch: [KafkaOutgoingMessage] = []
            let served = slot.value.map { m in (version: m.version, score: { (f: FeatureVector) in m.scorer.score(f) }) }
            let first = sent
            while sent < due {
                let (p, l) = traffic.next(servedBy: served)
                batch.append(KafkaOutgoingMessage(topic: predictionsTopic, key: Array(p.partitionKey.utf8), value: p.encoded()))
                if let l { pending.append(l) }
                sent += 1
            }
            let now = start.milliseconds + elapsed
            pending.sort { $0.timestamp < $1.timestamp }
            let ready = pending.prefix { $0.timestamp.milliseconds <= now }
            for l in ready { batch.append(KafkaOutgoingMessage(topic: labelsTopic, key: Array(l.partitionKey.utf8), value: l.encoded())) }
            pending.removeFirst(ready.count)
            if !batch.isEmpty {
                let reports = await producer.send(batch)
                progress.withLock {
                    $0.predictions += sent - first
                    $0.labels += ready.count
                    $0.deliveryFailures += reports.count { !$0.isDelivered }
                    $0.hasDrifted = $0.hasDrifted || sent > driftIndex
                    $0.trafficSent = sent >= total
                }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        progress.withLock { $0.trafficSent = true }
        try? await producer.close()
    }

    /// Serves every promoted version of `model` with inline parameters that `consumer` delivers (it reads
    /// `model-updates`), until the consumer is closed.
    func followPromotions(from consumer: KafkaConsumer, into slot: Locked<ServedModel?>) async {
        for await event in consumer.events {
            guard case .messages(let batch) = event else { continue }
            for m in batch {
                guard let update = try? ModelUpdateEvent.decode(m.value), update.model == model, update.decision == .promoted,
                      let parameters = update.parameters, let scorer = try? ModelScorer(parameters: parameters) else { continue }
                slot.withLock { $0 = ServedModel(version: update.version, scorer: scorer) }
            }
        }
    }
}
