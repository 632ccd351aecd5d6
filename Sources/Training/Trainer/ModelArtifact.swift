import Foundation

/// A model version as written to its checkpoint file: the encoder (column map) and the learned model.
/// Encoded as JSON with sorted keys and packed weight arrays, so equal models give equal bytes and digests.
public struct ModelArtifact: Sendable, Hashable, Codable {
    public static let format = "tideline.model/1"
    public var format: String = ModelArtifact.format
    public var model: String
    public var version: String
    public var encoder: FeatureEncoder
    public var learner: TrainableModel

    public init(model: String, version: String, encoder: FeatureEncoder, learner: TrainableModel) {
        self.model = model; self.version = version; self.encoder = encoder; self.learner = learner
    }

    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return Array(try e.encode(self))
    }

    public static func decode(_ bytes: [UInt8]) throws -> ModelArtifact {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let a = try d.decode(ModelArtifact.self, from: Data(bytes))
        guard a.format == format else { throw ModelArtifactError("unsupported checkpoint format \"\(a.format)\" (this build reads \(format))") }
        return a
    }
}

public struct ModelArtifactError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
