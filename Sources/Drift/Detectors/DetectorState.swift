public import Foundation

/// Snapshots of detector state: the detector value encoded as JSON (infinities written as strings), so a
/// checkpoint can hold it and a restore continues exactly where the detector stopped.
public enum DetectorState {
    private static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    private static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// The detector's state as bytes.
    public static func snapshot<D: Encodable>(_ detector: D) throws -> Data { try encoder().encode(detector) }

    /// A detector restored from `snapshot`.
    public static func restore<D: Decodable>(_ type: D.Type, from snapshot: Data) throws -> D {
        try decoder().decode(type, from: snapshot)
    }
}
