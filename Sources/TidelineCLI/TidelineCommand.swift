public import ArgumentParser

/// The `tideline` command line.
public struct TidelineCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tideline",
        abstract: "Kafka-native continual learning and ML monitoring.",
        discussion: """
            Exit codes: 0 success; 1 runtime failure (e.g. Kafka unreachable); 64 bad flag; 65 invalid input data \
            (invalid lines were sent to dead-letter); 78 bad configuration.
            """,
        version: "0.1.0",
        subcommands: [BrokerCommand.self, TopicsCommand.self, ProduceCommand.self, ConsumeCommand.self, RunCommand.self, ModelsCommand.self, DriftCommand.self, BenchCommand.self, DemoCommand.self, BacktestCommand.self, ReplayCommand.self, GenerateCommand.self]
    )

    public init() {}
}

/// Exit codes shared by every command (sysexits.h values where they fit).
enum ExitCodes {
    static let runtimeFailure = ExitCode(1)
    static let dataError = ExitCode(65)
    static let configError = ExitCode(78)
}
