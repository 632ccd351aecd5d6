import Events
import Foundation
import Testing
import TidelineTestKit

/// Security properties pass through to librdkafka untouched, secrets never reach the logs, and `--log-format
/// json` writes one JSON object per line.
@Suite struct SecurityAndLogsTests {
    static let tideline = Subprocess.tidelineBinary

    /// `tideline consume` with `yaml` as its configuration against a port where no broker answers: the client
    /// starts, logs at debug level, and gives up.
    static func consume(config yaml: String, _ extra: [String]) async throws -> Subprocess.Result {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("security-\(UUID()).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await Subprocess.run(tideline, ["consume", "--topic", "predictions", "--brokers", "127.0.0.1:1", "--config", path,
                                                   "--timeout", "2", "--log-level", "debug"] + extra, timeout: .seconds(120))
    }

    @Test(.timeLimit(.minutes(5)))
    func saslReachesLibrdkafkaAndThePasswordNeverReachesTheLogs() async throws {
        let result = try await Self.consume(config: """
            kafka:
              properties:
                security.protocol: SASL_PLAINTEXT
                sasl.mechanism: SCRAM-SHA-512
                sasl.username: tideline
                sasl.password: hunter2-s3cret
                debug: conf,security,broker
            """, ["--log-format", "json"])
        #expect(!result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"), "a secret reached the output")
        // The properties reached librdkafka: the mechanism was selected, the protocol used, the password redacted.
        #expect(result.stderr.contains("Selected provider SCRAM (builtin) for SASL mechanism SCRAM-SHA-512"), "\(result.stderr.prefix(2000))")
        #expect(result.stderr.contains("sasl_plaintext://127.0.0.1:1"))
        #expect(result.stderr.contains("sasl.password = [redacted]"))
        // Every log line is a JSON object with the fixed keys; librdkafka's facility is metadata.
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count >= 10)
        for line in lines {
            let value = try JSONValue.parse(String(line))
            #expect(value["level"] != nil && value["logger"] == .string("tideline.consume") && value["message"] != nil && value["ts"] != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"librdkafka.facility\":\"CONF\"") })
    }

    @Test(.timeLimit(.minutes(5)))
    func tlsPropertiesReachLibrdkafkaAndTheKeyPasswordStaysOut() async throws {
        let result = try await Self.consume(config: """
            kafka:
              properties:
                security.protocol: SSL
                ssl.ca.location: /nonexistent/ca.pem
                ssl.key.password: topsecret-42
            """, [])
        #expect(result.status == 1)
        #expect(result.stderr.contains("ssl.ca.location failed"), "librdkafka loaded the CA setting: \(result.stderr)")
        #expect(!result.stderr.contains("topsecret-42") && !result.stdout.contains("topsecret-42"))
    }
}
