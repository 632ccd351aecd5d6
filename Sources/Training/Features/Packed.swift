import Foundation

/// An array of doubles that encodes as the bytes of its IEEE 754 values (little-endian; base64 in JSON):
/// exact, and an order of magnitude smaller and faster than a JSON array for weight vectors.
public struct PackedDoubles: Sendable, Hashable, Codable {
    public var values: [Double]
    public init(_ values: [Double]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let data = try decoder.singleValueContainer().decode(Data.self)
        guard data.count % 8 == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "packed doubles: \(data.count) bytes is not a multiple of 8"))
        }
        var out = [Double](repeating: 0, count: data.count / 8)
        out.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        values = out
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values.withUnsafeBytes { Data($0) })
    }
}

/// An array of sparse slots, encoded as their little-endian bytes.
public struct PackedSlots: Sendable, Hashable, Codable {
    public var values: [UInt32]
    public init(_ values: [UInt32]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let data = try decoder.singleValueContainer().decode(Data.self)
        guard data.count % 4 == 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "packed slots: \(data.count) bytes is not a multiple of 4"))
        }
        var out = [UInt32](repeating: 0, count: data.count / 4)
        out.withUnsafeMutableBytes { dst in _ = data.copyBytes(to: dst) }
        values = out
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values.withUnsafeBytes { Data($0) })
    }
}
