import Events

/// What a trainer learns: the task its targets follow.
public enum LearningTask: String, Sendable, Hashable, Codable {
    /// Targets 0 or 1; scores are P(y = 1).
    case binaryClassification = "binary_classification"
    /// Real-valued targets; scores are predicted values.
    case regression
}

/// A model family and its hyperparameters, as configured (`models.<name>.train.model`).
public enum ModelSpecification: Sendable, Hashable, Codable {
    case logisticRegression(LinearModel.Configuration)
    case linearRegression(LinearModel.Configuration)
    case hoeffdingTree(HoeffdingTree.Configuration)
    case hoeffdingAdaptiveTree(HoeffdingAdaptiveTree.Configuration)

    public var name: String {
        switch self {
        case .logisticRegression: "logistic_regression"
        case .linearRegression: "linear_regression"
        case .hoeffdingTree: "hoeffding_tree"
        case .hoeffdingAdaptiveTree: "hoeffding_adaptive_tree"
        }
    }

    public static let names = ["logistic_regression", "linear_regression", "hoeffding_tree", "hoeffding_adaptive_tree"]

    public var task: LearningTask {
        if case .linearRegression = self { return .regression }
        return .binaryClassification
    }

    /// A fresh, untrained model for rows of `width` dense columns and `1 << hashBits` sparse slots.
    public func makeModel(width: Int, hashBits: Int) -> TrainableModel {
        switch self {
        case .logisticRegression(var c): c.objective = .logistic; return .linear(LinearModel(configuration: c, width: width, hashBits: hashBits))
        case .linearRegression(var c): c.objective = .squared; return .linear(LinearModel(configuration: c, width: width, hashBits: hashBits))
        case .hoeffdingTree(let c): return .tree(HoeffdingTree(configuration: c, width: width))
        case .hoeffdingAdaptiveTree(let c): return .adaptiveTree(HoeffdingAdaptiveTree(configuration: c, width: width))
        }
    }
}

/// One trained model of any family: the common surface the trainer, the gate and the store use.
/// A value type; learning mutates it, copying it freezes a version.
public enum TrainableModel: Sendable, Hashable, Codable {
    case linear(LinearModel)
    case tree(HoeffdingTree)
    case adaptiveTree(HoeffdingAdaptiveTree)

    /// Scores for every row of `batch` (P(y = 1), or the predicted value).
    public func predict(_ batch: ExampleBatch, into out: inout [Double]) {
        switch self {
        case .linear(let m): m.predict(batch, into: &out)
        case .tree(let m): m.predict(batch, into: &out)
        case .adaptiveTree(let m): m.predict(batch, into: &out)
        }
    }

    public func predict(_ batch: ExampleBatch) -> [Double] {
        var out: [Double] = []
        predict(batch, into: &out)
        return out
    }

    /// Learns `batch` in order; `progressive` receives each row's score from before it was learned.
    public mutating func learn(_ batch: ExampleBatch, progressive: inout [Double]) {
        switch self {
        case .linear(var m): self = .tree(HoeffdingTree.empty); m.learn(batch, progressive: &progressive); self = .linear(m)
        case .tree(var m): self = .tree(HoeffdingTree.empty); m.learn(batch, progressive: &progressive); self = .tree(m)
        case .adaptiveTree(var m): self = .tree(HoeffdingTree.empty); m.learn(batch, progressive: &progressive); self = .adaptiveTree(m)
        }
    }

    /// Rows learned so far.
    public var steps: Int64 {
        switch self {
        case .linear(let m): m.steps
        case .tree(let m): m.steps
        case .adaptiveTree(let m): m.steps
        }
    }

    /// False when any parameter is NaN or infinite (a sanity check of the evaluation gate).
    public var isFinite: Bool {
        switch self {
        case .linear(let m): m.isFinite
        case .tree(let m): m.isFinite
        case .adaptiveTree(let m): m.isFinite
        }
    }
}

extension HoeffdingTree {
    /// A placeholder that holds no storage, used while a model is mutated in place.
    static let empty = HoeffdingTree(width: 0)
}
