public import Events
public import Kafka
import Pipeline
public import Training

/// What the train stage must publish for records as they sit in their partitions: the same merge order
/// (`EventTimeMerge` with every partition read to its end) fed to fresh trainers, in one uninterrupted pass.
public enum ReferenceTrainer {
    public static func updates(models: [String: TrainerConfiguration], examples records: [KafkaMessage]) -> [ModelUpdateEvent] {
        var merge = EventTimeMerge<LabeledExample>()
        let partitions = Set(records.map(\.partition))
        merge.assign(Array(partitions))
        for m in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            guard let e = try? LabeledExample.decode(m.value) else { continue }
            merge.push(e, time: (e.labelTime ?? e.predictionTime).milliseconds, partition: m.partition, offset: m.offset)
        }
        for p in partitions { merge.markExhausted(p) }
        var released: [EventTimeMerge<LabeledExample>.Entry] = []
        merge.popReady(into: &released)
        var trainers = models.mapValues { _ in ModelTrainer?.none }
        for (name, configuration) in models { trainers[name] = ModelTrainer(model: name, configuration: configuration) }
        var output = TrainerOutput()
        let topic = records.first?.topic ?? ""
        for entry in released {
            guard var t = trainers[entry.element.model] ?? nil else { continue }
            t.process(entry.element, source: .init(topic: topic, partition: entry.partition, offset: entry.offset), into: &output)
            trainers[entry.element.model] = t
        }
        return output.updates
    }
}
