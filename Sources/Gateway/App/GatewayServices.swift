import Domain
import Foundation
import Hummingbird
import Lag
import Log
import Store

/// What the route collections share: the write and read roles, auth, and timeouts.
struct GatewayServices: Sendable {
    /// nil in the read role.
    let commands: CommandService?
    let reads: ReadService
    let authenticator: Authenticator
    let configuration: GatewayConfiguration
    /// Tells whether a projector consumes a read model; nil where that cannot be asked (tests in process).
    var monitor: LagMonitor? = nil

    /// The write role, or 421 when this gateway runs only the read role.
    func writer() throws -> CommandService {
        guard let commands else {
            throw APIError(.misdirectedRequest, "wrong_role", "this gateway runs the read role; send writes to a write-role gateway")
        }
        return commands
    }

    /// The read role, or 421 in a write-only gateway; waits for a presented consistency token.
    func reader(for request: Request, context: EncoreRequestContext) async throws -> ReadService {
        guard configuration.role.reads else {
            throw APIError(.misdirectedRequest, "wrong_role", "this gateway runs the write role; send reads to a read-role gateway")
        }
        try await awaitConsistency(request, context: context)
        return reads
    }

    /// Waits until the read model has reached the request's `X-Consistency-Token`, if it has one.
    func awaitConsistency(_ request: Request, context: EncoreRequestContext) async throws {
        guard let header = request.headers[.consistencyToken] else { return }
        guard let token = ConsistencyToken(header) else {
            throw APIError.badRequest("\(ConsistencyToken.header) must look like users:3:1234")
        }
        try await reads.await(token, client: context.client)
    }

    /// How a write ended, from the client's point of view.
    enum WriteResult {
        /// Folded into the read model: the entity's new version.
        case applied(version: Int, token: ConsistencyToken)
        /// In the log, not yet folded within the wait.
        case accepted(token: ConsistencyToken)

        var token: ConsistencyToken {
            switch self {
            case .applied(_, let token), .accepted(let token): token
            }
        }
    }

    /// Appends `command`; unless `async`, waits (bounded) for its outcome and turns a rejection
    /// into its 4xx. `needsProjector` refuses it before the append when no projector consumes
    /// its read model, for APIs that answer only applied writes (v1).
    func write(_ command: Command, request: Request, async: Bool = false, needsProjector: Bool = false) async throws -> WriteResult {
        let writer = try writer()
        try await authorize(command)
        if needsProjector, let monitor, await monitor.isConsumed(command.kind) == false {
            throw APIError.noProjector(
                command.kind, group: configuration.log.projectorGroup(command.kind))
        }
        let appended = try await writer.append(command, traceparent: request.headers[.traceparent])
        guard !async else { return .accepted(token: appended.token) }
        guard let outcome = try await writer.outcome(of: appended, timeout: configuration.syncWriteTimeout) else {
            return .accepted(token: appended.token)
        }
        if let rejection = outcome.rejection { throw APIError.rejected(rejection) }
        return .applied(version: outcome.version, token: appended.token)
    }

    /// Enforces ``WritePolicy``; looks the creator up only when the policy needs it.
    private func authorize(_ command: Command) async throws {
        let creator =
            WritePolicy.needsCreator(command)
            ? WritePolicy.creator(in: try await reads.store(for: command.kind).history(command.kind, id: command.entityID))
            : nil
        try WritePolicy.check(command, creator: creator)
    }

    func tokenHeader(_ result: WriteResult) -> HTTPFields {
        [.consistencyToken: result.token.description]
    }
}
