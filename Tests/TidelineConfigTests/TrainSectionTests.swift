import Testing
import TidelineConfig
import Training

@Suite struct TrainSectionTests {
    @Test func parsesTrainSettingsAndModelSections() throws {
        let config = try TidelineConfiguration.parse("""
            train:
              group: trainers
              checkpoint_interval: 10s
              model_directory: /var/lib/tideline/models
            models:
              ctr:
                train:
                  optimizer: ftrl
                  alpha: 0.05
                  beta: 1
                  l1: 0.001
                  features: {hash_bits: 20, max_dense: 16, numeric: [age, price], ignore: [debug]}
                  batch_size: 1024
                  mode: stateless
                  reservoir_size: 5000
                  triggers: {examples: 20000, interval: 1h, min_interval: 10m, metric: auc, threshold: 0.7, error_change_delta: off}
                  gate: {metric: auc, margin: 0.02, confidence: 0.99}
                  rollback: {window: 5000}
                  max_examples_per_entity: 3
                  replay_fraction: 0.2
              churn:
                train: {model: hoeffding_adaptive_tree, grace_period: 100, leaf_prediction: mc, adwin_delta: 0.01}
              eta:
                task: regression
                train: {}
              plain: {}
            """)
        #expect(config.train.group == "trainers" && config.train.checkpointInterval == 10_000)
        #expect(config.train.catalogPath == "/var/lib/tideline/models/catalog.sqlite")
        let models = config.trainConfigurations
        #expect(models.keys.sorted() == ["churn", "ctr", "eta"], "a model without a train section is not trained")
        let ctr = try #require(models["ctr"])
        guard case .logisticRegression(let lc) = ctr.model, case .ftrl(let alpha, let beta) = lc.optimizer else {
            Issue.record("ctr: \(ctr.model)"); return
        }
        #expect(alpha == 0.05 && beta == 1 && lc.l1 == 0.001)
        #expect(ctr.features.hashBits == 20 && ctr.features.maxDense == 16 && ctr.features.numeric == ["age", "price"] && ctr.features.ignore == ["debug"])
        #expect(ctr.batchSize == 1024 && ctr.mode == .stateless && ctr.reservoirSize == 5000)
        #expect(ctr.triggers.examples == 20_000 && ctr.triggers.interval == 3_600_000 && ctr.triggers.minimumInterval == 600_000)
        #expect(ctr.triggers.performanceMetric == .auc && ctr.triggers.performanceThreshold == 0.7 && ctr.triggers.errorChangeDelta == nil)
        #expect(ctr.gate.metric == .auc && ctr.gate.margin == 0.02 && ctr.gate.confidence == 0.99 && ctr.rollback.window == 5000)
        #expect(ctr.maxExamplesPerEntity == 3 && ctr.replayFraction == 0.2)
        #expect(ctr.checkpointDirectory == "/var/lib/tideline/models")
        guard case .hoeffdingAdaptiveTree(let ac) = models["churn"]?.model else { Issue.record("churn"); return }
        #expect(ac.tree.gracePeriod == 100 && ac.tree.leafPrediction == .majorityClass && ac.adwinDelta == 0.01)
        guard case .linearRegression = models["eta"]?.model else { Issue.record("eta defaults to linear regression"); return }
    }

    @Test(arguments: [
        ("models: {ctr: {train: {model: random_forest}}}", "models.ctr.train.model"),
        ("models: {ctr: {task: regression, train: {model: hoeffding_tree}}}", "models.ctr.train.model"),
        ("models: {ctr: {train: {model: linear_regression}}}", "models.ctr.train.model"),
        ("models: {ctr: {task: multiclass, train: {}}}", "models.ctr.train"),
        ("models: {ctr: {train: {optimizer: adam}}}", "models.ctr.train.optimizer"),
        ("models: {ctr: {train: {optimizer: sgd, epsilon: 0.1}}}", "models.ctr.train.epsilon"),
        ("models: {ctr: {train: {model: hoeffding_tree, optimizer: sgd}}}", "models.ctr.train.optimizer"),
        ("models: {ctr: {train: {model: hoeffding_tree, adwin_delta: 0.1}}}", "models.ctr.train.adwin_delta"),
        ("models: {ctr: {train: {batch_size: 0}}}", "models.ctr.train.batch_size"),
        ("models: {ctr: {train: {mode: online}}}", "models.ctr.train.mode"),
        ("models: {ctr: {train: {mode: stateless, reservoir_size: 0, recent_buffer_size: 0}}}", "models.ctr.train.reservoir_size"),
        ("models: {ctr: {train: {holdout_fraction: 0.9}}}", "models.ctr.train.holdout_fraction"),
        ("models: {ctr: {train: {features: {hash_bits: 40}}}}", "models.ctr.train.features.hash_bits"),
        ("models: {ctr: {train: {features: {max_dense: 1, numeric: [a, b]}}}}", "models.ctr.train.features.numeric"),
        ("models: {ctr: {train: {triggers: {threshold: 0.7}}}}", "models.ctr.train.triggers.metric"),
        ("models: {ctr: {train: {triggers: {interval: soon}}}}", "models.ctr.train.triggers.interval"),
        ("models: {ctr: {train: {gate: {metric: rmse}}}}", "models.ctr.train.gate.metric"),
        ("models: {ctr: {train: {rollback: {window: 1}}}}", "models.ctr.train.rollback.window"),
        ("models: {ctr: {train: {lerning_rate: 0.1}}}", "models.ctr.train.lerning_rate"),
        ("train: {checkpoint_interval: often}", "train.checkpoint_interval"),
        ("train: {groups: x}", "train.groups"),
    ])
    func badTrainSettingsNameTheField(yaml: String, field: String) {
        do {
            _ = try TidelineConfiguration.parse(yaml)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }
}
