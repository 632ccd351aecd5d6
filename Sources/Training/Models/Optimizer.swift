/// How a linear model turns gradients into weight changes. Every optimizer works per coordinate, so hashed
/// sparse weights that an example does not touch cost nothing.
public enum Optimizer: Sendable, Hashable, Codable {
    /// Plain SGD with step `learningRate / t^power` (t = examples seen, from 1); power 0 is a constant step.
    case sgd(learningRate: Double, power: Double)
    /// AdaGrad (Duchi et al. 2011): step `learningRate / (sqrt(sum of squared gradients) + epsilon)` per coordinate.
    case adagrad(learningRate: Double, epsilon: Double)
    /// FTRL-Proximal (McMahan et al. 2013), per coordinate: z and n, weights solved in closed form with the model's
    /// L1 and L2 (L1 gives exact zeros).
    case ftrl(alpha: Double, beta: Double)

    public static let defaultAdagrad = Optimizer.adagrad(learningRate: 0.1, epsilon: 1e-8)

    public var name: String {
        switch self {
        case .sgd: "sgd"
        case .adagrad: "adagrad"
        case .ftrl: "ftrl"
        }
    }
}

/// The loss a linear model minimizes, which fixes its link and task.
public enum LinearObjective: String, Sendable, Hashable, Codable {
    /// Log loss with a sigmoid link: binary classification, the score is P(y = 1).
    case logistic
    /// Squared loss with the identity link: regression.
    case squared
}
