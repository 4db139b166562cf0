import ArgumentParser
import Domain
import Foundation
import Kafka
import Log
import Logging
import Privacy

/// `encore users erase`: the operator's erasure (GDPR art. 17), as `DELETE /api/v2/users/{id}` does it.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Erase people: their data keys destroyed, then their deletion appended.",
        subcommands: [Erase.self]
    )

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase the users with these ids (or the ids in --file, one per line), deleted or not.",
            discussion: """
                Each user's data key is destroyed (durably, before anything else), so their fields can no longer be read \\
                in any copy of the log; then a deletion is appended for each, so the read models drop them.
                """
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var keyOptions: KeyOptions
        @OptionGroup var logging: LoggingOptions

        @Argument(help: "User ids.")
        var ids: [String] = []

        @Option(help: "A file of user ids, one per line.")
        var file: String?

        func validate() throws {
            guard !ids.isEmpty || file != nil else { throw ValidationError("give user ids or --file") }
        }

        func run() async throws {
            try Librdkafka.requireMinimumVersion()
            let logger = logging.bootstrap(label: "encore.users")
            var texts = ids
            if let file {
                guard let contents = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                texts += String(decoding: contents, as: UTF8.self).split(whereSeparator: \.isNewline).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }.filter { !$0.isEmpty }
            }
            let users = try texts.map { text in
                guard let id = UUID(uuidString: text) else { throw ValidationError("\(text) is not a user id (a UUID)") }
                return id
            }
            try await kafka.ensureTopics(logger: logger)
            try await storeOptions.withStoreAndKeys(keyOptions, logger: logger) { _, keys in
                try await keys.erase(users)
                let producer = try KafkaProducer(configuration: kafka.log.producer(), logger: logger)
                try await producer.closing { producer in
                    let deletions = users.map { Command(entityID: $0, actor: "encore-users-erase", action: .deleteUser) }
                    try await CommandAppender(producer: producer, topicPrefix: kafka.topicPrefix) { _ in NoPersonalData() }.append(
                        deletions)
                }
            }
            print("erased \(users.count) user\(users.count == 1 ? "" : "s"): keys destroyed, deletions appended")
        }
    }
}
