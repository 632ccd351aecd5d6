import Events
import Foundation
import Testing
@testable import Training

/// Labeled examples from the logistic stream (features a…e), one per second of event time.
func logisticExamples(seed: UInt64, n: Int, start: Int = 0, flip: Bool = false, model: String = "ctr", entity: ((Int) -> String?)? = nil) -> [LabeledExample] {
    let (x, y) = TrainingStreams.logistic(seed: seed, n: n)
    let names = ["a", "b", "c", "d", "e"]
    return (0 ..< n).map { i in
        let features = FeatureVector(zip(names, x[i]).map { Feature($0, .number($1)) } + [Feature("country", .string(i % 3 == 0 ? "NL" : "DE"))])
        let label = flip ? 1 - y[i] : y[i]
        let t = EventTime(milliseconds: 1_700_000_000_000 + Int64(start + i) * 1_000)
        return LabeledExample(eventID: "e-\(seed)-\(start + i)", requestID: "r-\(start + i)", model: model, modelVersion: "v0", entityID: entity?(i),
                              features: features, prediction: .score(0.5), label: .bool(label == 1), labelKind: .observed,
                              predictionTime: t, labelTime: t)
    }
}

@Suite struct EvaluationGateTests {
    @Test func rejectsAWorseCandidateAndPromotesABetterOne() {
        let (x, y) = TrainingStreams.logistic(seed: 4, n: 2_000)
        var good = LinearModel(width: 5, hashBits: 2)
        var p: [Double] = []
        good.learn(TrainingStreams.batch(x, y, range: 0 ..< 1_000), progressive: &p)
        var bad = LinearModel(width: 5, hashBits: 2)
        bad.learn(TrainingStreams.batch(x, y.map { 1 - $0 }, range: 0 ..< 1_000), progressive: &p)
        let holdout = TrainingStreams.batch(x, y, range: 1_000 ..< 2_000)
        let goodScores = TrainableModel.linear(good).predict(holdout), badScores = TrainableModel.linear(bad).predict(holdout)
        let worse = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true,
                                          sets: [EvaluationSet(name: "recent", targets: holdout.targets, candidate: badScores, champion: goodScores)], policy: GatePolicy())
        #expect(!worse.promote)
        #expect(worse.reason.contains("log_loss"))
        let better = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true,
                                           sets: [EvaluationSet(name: "recent", targets: holdout.targets, candidate: goodScores, champion: badScores)], policy: GatePolicy())
        #expect(better.promote)
        var auc = GatePolicy()
        auc.metric = .auc
        #expect(!EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true,
                                       sets: [EvaluationSet(name: "recent", targets: holdout.targets, candidate: badScores, champion: goodScores)], policy: auc).promote)
        #expect(EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true,
                                      sets: [EvaluationSet(name: "recent", targets: holdout.targets, candidate: goodScores, champion: badScores)], policy: auc).promote)
    }

    /// After a concept drift the static sample says the old world: a candidate worse there but significantly better
    /// on recent examples is promoted (and the static sample refreshed) unless `adapt_to_change` is off; a candidate
    /// worse on both is still rejected.
    @Test func aCandidateBetterOnRecentDataOverridesAStaleStaticSample() {
        let (x, y) = TrainingStreams.logistic(seed: 4, n: 3_000)
        var old = LinearModel(width: 5, hashBits: 2), new = LinearModel(width: 5, hashBits: 2)
        var p: [Double] = []
        old.learn(TrainingStreams.batch(x, y, range: 0 ..< 1_000), progressive: &p)
        new.learn(TrainingStreams.batch(x, y.map { 1 - $0 }, range: 0 ..< 1_000), progressive: &p)
        let before = TrainingStreams.batch(x, y, range: 1_000 ..< 2_000)
        let after = TrainingStreams.batch(x, y.map { 1 - $0 }, range: 2_000 ..< 3_000)
        func sets(_ candidate: LinearModel, _ champion: LinearModel) -> [EvaluationSet] {
            [EvaluationSet(name: "static_holdout", targets: before.targets, candidate: TrainableModel.linear(candidate).predict(before),
                           champion: TrainableModel.linear(champion).predict(before)),
             EvaluationSet(name: "recent", targets: after.targets, candidate: TrainableModel.linear(candidate).predict(after),
                           champion: TrainableModel.linear(champion).predict(after))]
        }
        let adapted = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true, sets: sets(new, old), policy: GatePolicy())
        #expect(adapted.promote && adapted.refreshStaticHoldout)
        #expect(adapted.reason.hasPrefix("adapts to a change: recent log_loss") && adapted.reason.contains("static_holdout: log_loss"))
        var strict = GatePolicy()
        strict.adaptToChange = false
        let vetoed = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true, sets: sets(new, old), policy: strict)
        #expect(!vetoed.promote && !vetoed.refreshStaticHoldout)
        // Worse on recent data too (the old model judged after the drift): no override.
        let backwards = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true,
                                              sets: [EvaluationSet(name: "static_holdout", targets: after.targets, candidate: TrainableModel.linear(old).predict(after),
                                                                   champion: TrainableModel.linear(new).predict(after)),
                                                     EvaluationSet(name: "recent", targets: after.targets, candidate: TrainableModel.linear(old).predict(after),
                                                                   champion: TrainableModel.linear(new).predict(after))], policy: GatePolicy())
        #expect(!backwards.promote && !backwards.refreshStaticHoldout)
    }

    @Test func sanityChecksRejectNonFiniteAndCollapsedModels() {
        let targets = (0 ..< 100).map { Double($0 % 2) }
        let champion = (0 ..< 100).map { 0.3 + 0.4 * Double($0 % 2) }
        let collapsed = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: true,
                                              sets: [EvaluationSet(name: "static_holdout", targets: targets, candidate: Array(repeating: 0.5, count: 100), champion: champion)],
                                              policy: GatePolicy())
        #expect(!collapsed.promote && collapsed.reason.contains("collapsed"))
        let nonFinite = EvaluationGate.decide(task: .binaryClassification, candidateIsFinite: false, sets: [], policy: GatePolicy())
        #expect(!nonFinite.promote && nonFinite.reason.contains("non-finite"))
    }

    /// DeLong's variance against a brute-force computation of the structural components on a small example.
    @Test func delongMatchesDirectComputation() throws {
        let targets: [Double] = [1, 1, 1, 0, 0, 0, 0, 1]
        let a: [Double] = [0.9, 0.8, 0.4, 0.3, 0.2, 0.6, 0.1, 0.7]
        let b: [Double] = [0.6, 0.9, 0.5, 0.5, 0.4, 0.2, 0.3, 0.8]
        let d = try #require(AUC.delong(a, b, targets: targets))
        func psi(_ x: Double, _ y: Double) -> Double { x > y ? 1 : (x == y ? 0.5 : 0) }
        let pos = targets.indices.filter { targets[$0] == 1 }, neg = targets.indices.filter { targets[$0] == 0 }
        func auc(_ s: [Double]) -> Double { pos.flatMap { i in neg.map { j in psi(s[i], s[j]) } }.reduce(0, +) / Double(pos.count * neg.count) }
        #expect(abs(d.aucA - auc(a)) < 1e-12 && abs(d.aucB - auc(b)) < 1e-12)
        func v10(_ s: [Double]) -> [Double] { pos.map { i in neg.map { psi(s[i], s[$0]) }.reduce(0, +) / Double(neg.count) } }
        func v01(_ s: [Double]) -> [Double] { neg.map { j in pos.map { psi(s[$0], s[j]) }.reduce(0, +) / Double(pos.count) } }
        func cov(_ x: [Double], _ y: [Double]) -> Double {
            let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
            return zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +) / Double(x.count - 1)
        }
        let variance = (cov(v10(a), v10(a)) + cov(v10(b), v10(b)) - 2 * cov(v10(a), v10(b))) / Double(pos.count)
            + (cov(v01(a), v01(a)) + cov(v01(b), v01(b)) - 2 * cov(v01(a), v01(b))) / Double(neg.count)
        #expect(abs(d.standardError - variance.squareRoot()) < 1e-12)
    }

    @Test func normalQuantile() {
        #expect(abs(NormalQuantile.value(0.95) - 1.6448536269514722) < 1e-12)
        #expect(abs(NormalQuantile.value(0.001) + 3.090232306167813) < 1e-12)
    }
}

@Suite struct TriggerTests {
    func config(_ edit: (inout TrainerConfiguration) -> Void) -> TrainerConfiguration {
        var c = TrainerConfiguration()
        c.features.maxDense = 8
        c.features.hashBits = 8
        c.triggers.examples = nil
        c.triggers.errorChangeDelta = nil
        c.checkpointDirectory = "/tmp/tideline-test-models"
        edit(&c)
        return c
    }

    func run(_ c: TrainerConfiguration, _ examples: [LabeledExample]) -> (ModelTrainer, [ModelUpdateEvent]) {
        var t = ModelTrainer(model: "ctr", configuration: c)
        var out = TrainerOutput()
        for e in examples { t.process(e, into: &out) }
        return (t, out.updates)
    }

    @Test func volumeFiresEveryNExamplesAndOnlyThen() {
        let c = config { $0.triggers.examples = 2_000 }
        let (t, updates) = run(c, logisticExamples(seed: 1, n: 5_000))
        // 90% of 5,000 train; batches of 512: 2,048 → first update at the 4th batch, second at 8th (4,096 > 2,048 new).
        #expect(updates.count == 2)
        #expect(updates.allSatisfy { $0.trigger.kind == "volume" })
        #expect(updates[0].decision == .promoted && updates[0].parentVersion == nil)
        #expect(updates.map(\.version) == ["v1", "v2"])
        #expect(updates[1].parentVersion == "v1")
        #expect(t.statistics.heldOut > 400 && t.statistics.heldOut < 600)
        #expect(updates[0].data.exampleCount == 2_048)
    }

    @Test func noTriggerNoUpdate() {
        let (_, updates) = run(config { _ in }, logisticExamples(seed: 1, n: 3_000))
        #expect(updates.isEmpty)
    }

    @Test func timeTriggerUsesEventTimeAndMinimumInterval() {
        // One example per second: a 30-minute interval fires at the first batch boundary after 1,800 s.
        let (_, updates) = run(config { $0.triggers.interval = 1_800_000 }, logisticExamples(seed: 2, n: 6_000))
        #expect(updates.count == 2)
        #expect(updates.allSatisfy { $0.trigger.kind == "time" })
        let (_, limited) = run(config { $0.triggers.examples = 512; $0.triggers.minimumInterval = 3_000_000 }, logisticExamples(seed: 2, n: 6_000))
        #expect(limited.count == 2, "volume would fire ~10 times; the minimum interval of 50 minutes allows 2 in 100 minutes")
    }

    @Test func driftAlertAndManualCommandTrigger() {
        var t = ModelTrainer(model: "ctr", configuration: config { _ in })
        var out = TrainerOutput()
        let examples = logisticExamples(seed: 3, n: 3_000)
        for e in examples[..<1_500] { t.process(e, into: &out) }
        #expect(out.updates.isEmpty)
        let alert = AlertEvent(alertID: "a1", status: .firing, model: "ctr", kind: .featureDrift, severity: .warning, subject: "a", detector: "ks",
                               statistic: 0.3, pValue: 1e-9, threshold: 0.01, window: nil, reference: nil, description: "drift",
                               firstSeen: EventTime(milliseconds: 0), lastSeen: EventTime(milliseconds: 0), occurrences: 1)
        t.process(AlertEvent(alertID: "a0", status: .firing, model: "other", kind: .featureDrift, severity: .warning, subject: "a", detector: "ks",
                             statistic: 0.3, pValue: 1e-9, threshold: 0.01, window: nil, reference: nil, description: "drift",
                             firstSeen: EventTime(milliseconds: 0), lastSeen: EventTime(milliseconds: 0), occurrences: 1))
        for e in examples[1_500 ..< 2_100] { t.process(e, into: &out) }
        #expect(out.updates.isEmpty, "an alert for another model does not trigger")
        t.process(alert)
        for e in examples[2_100 ..< 2_700] { t.process(e, into: &out) }
        #expect(out.updates.count == 1)
        #expect(out.updates.first?.trigger.kind == "drift")
        #expect(out.updates.first?.trigger.detail?.contains("a1") == true)
        t.process(ModelCommand(commandID: "c1", model: "ctr", action: .retrain, requestedAt: EventTime(milliseconds: 1_700_000_000_000)), into: &out)
        #expect(out.updates.count == 2)
        #expect(out.updates.last?.trigger.kind == "manual")
        t.process(ModelCommand(commandID: "c1", model: "ctr", action: .retrain, requestedAt: EventTime(milliseconds: 1_700_000_000_000)), into: &out)
        #expect(out.updates.count == 2, "a command delivered twice acts once")
    }

    @Test func performanceTriggerFiresWhenTheChampionDegrades() {
        let c = config { $0.triggers.examples = 4_000; $0.triggers.errorChangeDelta = 0.002; $0.triggers.minimumInterval = 0 }
        var t = ModelTrainer(model: "ctr", configuration: c)
        var out = TrainerOutput()
        for e in logisticExamples(seed: 4, n: 5_000) { t.process(e, into: &out) }
        #expect(out.updates.count == 1)
        for e in logisticExamples(seed: 5, n: 2_000, start: 5_000, flip: true) { t.process(e, into: &out) }
        #expect(out.updates.count >= 2)
        #expect(out.updates[1].trigger.kind == "performance")
    }

    @Test func duplicatesAreIgnoredAndEntityCapApplies() {
        let examples = logisticExamples(seed: 6, n: 1_000, entity: { _ in "bot" })
        let (t, _) = run(config { $0.maxExamplesPerEntity = 10; $0.batchSize = 100 }, examples + examples)
        #expect(t.statistics.duplicates == 1_000)
        #expect(t.statistics.capped > 800)
    }
}

@Suite struct TrainerTests {
    func config() -> TrainerConfiguration {
        var c = TrainerConfiguration()
        c.features.maxDense = 8
        c.features.hashBits = 8
        c.triggers.examples = 2_000
        c.triggers.errorChangeDelta = nil
        c.checkpointDirectory = "/tmp/tideline-test-models"
        return c
    }

    @Test func snapshotMidStreamGivesTheSameUpdatesAndBytes() throws {
        let examples = logisticExamples(seed: 7, n: 9_000)
        var a = ModelTrainer(model: "ctr", configuration: config())
        var outA = TrainerOutput()
        for e in examples { a.process(e, into: &outA) }
        var b = ModelTrainer(model: "ctr", configuration: config())
        var outB = TrainerOutput()
        for (i, e) in examples.enumerated() {
            if i == 3_333 || i == 6_001 { b = try ModelTrainer.restore(from: try b.snapshot()) }
            b.process(e, into: &outB)
        }
        #expect(outA.updates == outB.updates)
        #expect(outA.checkpoints == outB.checkpoints)
        #expect(outA.updates.count == 3)  // ~8,100 trained: triggers at 2,048, 4,096 and 6,144
    }

    @Test func publishedParametersScoreLikeTheModel() throws {
        for spec in [ModelSpecification.logisticRegression(.init()), .hoeffdingTree(.init())] {
            var c = config()
            c.model = spec
            var t = ModelTrainer(model: "ctr", configuration: c)
            var out = TrainerOutput()
            let examples = logisticExamples(seed: 8, n: 6_000)
            for e in examples { t.process(e, into: &out) }
            let update = try #require(out.updates.last { $0.decision == .promoted })
            let scorer = try ModelScorer(parameters: try #require(update.parameters))
            let champion = try #require(t.champion)
            var encoder = t.encoder
            for e in examples.suffix(200) {
                var b = ExampleBatch(width: encoder.width)
                encoder.append(e.features, target: 0, to: &b)
                let expected = champion.predict(b)[0]
                #expect(abs(scorer.score(e.features) - expected) < 1e-12, "\(spec.name)")
            }
            // The checkpoint's digest is the SHA-256 of its bytes.
            let file = try #require(out.checkpoints.last)
            #expect(file.sha256 == SHA256.hex(file.bytes))
        }
    }

    @Test func scorerRejectsGarbageParameters() {
        let cases: [(JSONValue, String)] = [
            (.string("weights"), "no format"),
            (.object([("format", .string("tideline.linear/9")), ("columns", .array([]))]), "unknown parameters format"),
            (.object([("format", .string(ModelParameters.linearFormat))]), "no columns"),
            (.object([("format", .string(ModelParameters.linearFormat)), ("columns", .array([]))]), "missing objective"),
            (.object([("format", .string(ModelParameters.treeFormat)), ("columns", .array([])), ("nodes", .array([]))]), "missing nodes"),
            (.object([("format", .string(ModelParameters.treeFormat)), ("columns", .array([])), ("nodes", .array([.object([("nb", .bool(true))])]))]), "no classes"),
        ]
        for (parameters, message) in cases {
            #expect { _ = try ModelScorer(parameters: parameters) } throws: { "\($0)".contains(message) }
        }
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array(String(repeating: "a", count: 1_000).utf8)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func automaticRollbackRestoresTheParent() {
        var c = config()
        c.triggers.examples = 2_000
        c.gate.margin = 10  // let a bad candidate through the gate so the live watch has to catch it
        c.rollback.window = 1_000
        var t = ModelTrainer(model: "ctr", configuration: c)
        var out = TrainerOutput()
        for e in logisticExamples(seed: 9, n: 2_400) { t.process(e, into: &out) }
        #expect(out.updates.count == 1)
        // Poisoned feedback: inverted labels for a while; the candidate learns them and is promoted (margin 10).
        for e in logisticExamples(seed: 10, n: 2_400, start: 2_400, flip: true) { t.process(e, into: &out) }
        #expect(out.updates.count == 2)
        // Clean traffic again: the new champion is worse than its parent on live examples → rollback.
        for e in logisticExamples(seed: 11, n: 1_600, start: 4_800) { t.process(e, into: &out) }
        let rollback = out.updates.first { $0.kind == .rollback }
        #expect(rollback != nil)
        #expect(rollback?.reason == "restores v1")
        #expect(rollback?.parentVersion == "v2")
        #expect(t.championVersion == rollback?.version)
    }

    @Test func statelessModeRetrainsFromTheRetainedWindow() {
        var c = config()
        c.mode = .stateless
        c.reservoirSize = 1_000
        c.recentBufferSize = 1_000
        var t = ModelTrainer(model: "ctr", configuration: c)
        var out = TrainerOutput()
        for e in logisticExamples(seed: 12, n: 5_000) { t.process(e, into: &out) }
        #expect(out.updates.count == 2)
        #expect(out.updates.allSatisfy { $0.kind == .stateless })
        #expect(t.candidate.steps == 2_000, "a fresh model trained on reservoir + recent buffer")
    }
}
