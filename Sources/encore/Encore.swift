import ArgumentParser

/// `encore`: the one executable; each role of the system is a subcommand.
@main
struct Encore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encore",
        abstract: "Event-sourced music catalog over Kafka.",
        subcommands: [
            DevCommand.self,
            GatewayCommand.self,
            ProjectorCommand.self,
            LoadCommand.self,
            GenerateCommand.self,
            ReplayCommand.self,
            LagCommand.self,
            HistoryCommand.self,
            LogCommand.self,
        ]
    )
}
