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
            UsersCommand.self,
            KeysCommand.self,
        ]
    )

    /// ArgumentParser's own main, with the parsed command's `ENCORE_*` variables checked by
    /// their options' parsers before it runs (see ``EnvironmentOptions``).
    static func main() async {
        do {
            var command = try parseAsRoot()
            try EnvironmentOptions.check(command)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
