import ArgumentParser
import Foundation
import Gateway
import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `encore gateway`: the REST API. `--role write|read|all` lets writes and reads scale apart.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve the REST APIs (v1, v2): the write role appends commands, the read role serves read models."
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var keyOptions: KeyOptions
    @OptionGroup var http: HTTPOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try Librdkafka.requireMinimumVersion()
        let logger = logging.bootstrap(label: "encore.gateway")
        let tracing = try Telemetry.tracingServices(serviceName: "encore-gateway", logger: logger)
        let configuration = http.configuration(kafka: kafka)
        try configuration.validate()
        if configuration.authMode == .jwt, configuration.loginByID {
            logger.warning(
                "login by id is on: PUT /api/v1/user/login gives a token to anyone who knows a user id; turn it off with --login-by-id false (ENCORE_LOGIN_BY_ID=false) wherever tokens can come from elsewhere"
            )
        }
        let registry = bootstrapMetrics()
        let database = try await storeOptions.database(logger: logger)
        let gateway = StoreServices(database: database, keyOptions: keyOptions, logger: logger) { [http, kafka] store, keys in
            if http.role != .read { try await kafka.ensureTopics(logger: logger) }
            return [
                try await GatewayApplication.make(
                    configuration: configuration, store: store, keys: keys, registry: registry, logger: logger)
            ]
        }
        try await ServiceGroup(services: tracing + [database, gateway], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger).run()
    }
}

/// `--role`, `--host`, `--port` and authentication.
struct HTTPOptions: ParsableArguments {
    @Option(help: "write, read or all (ENCORE_ROLE).")
    var role = EnvironmentOptions.default("ROLE", GatewayConfiguration.Role.all)

    @Option(help: "Address to listen on (ENCORE_HOST).")
    var host = EnvironmentOptions.default("HOST", "127.0.0.1")

    @Option(help: "HTTP port (ENCORE_PORT).")
    var port = EnvironmentOptions.default("PORT", 8080)

    @Option(
        help:
            "jwt, legacy (any Authorization header), none, or oidc (an identity provider's RS256/ES256 tokens; see --jwks-url) (ENCORE_AUTH)."
    )
    var auth = EnvironmentOptions.default("AUTH", GatewayConfiguration.AuthMode.jwt)

    @OptionGroup var oidc: OIDCOptions

    @Option(help: "HS256 secret for session tokens; required with --auth jwt (ENCORE_JWT_SECRET).")
    var jwtSecret: String?  // ENCORE_JWT_SECRET is read in configuration(): --help would print a default

    @Option(
        help:
            "Writes per second one client (token user, else IP address) may send, in bursts of twice as many; 0 turns the limit off (ENCORE_WRITE_RATE_LIMIT)."
    )
    var writeRateLimit = EnvironmentOptions.default("WRITE_RATE_LIMIT", Double(100))

    @Option(
        help:
            "Whether PUT /api/v1/user/login issues a token for any existing user id, as the original did: true or false (ENCORE_LOGIN_BY_ID)."
    )
    var loginByID = EnvironmentOptions.default("LOGIN_BY_ID", true)

    @Option(
        help:
            "Open event streams (GET …/events) one client (token user, else IP address) may hold; 429 beyond (ENCORE_FEED_STREAMS_PER_CLIENT)."
    )
    var feedStreamsPerClient = EnvironmentOptions.default("FEED_STREAMS_PER_CLIENT", 16)

    @OptionGroup var crossOrigin: CrossOriginOptions

    func validate() throws {
        guard feedStreamsPerClient > 0 else { throw ValidationError("--feed-streams-per-client must be positive") }
        guard writeRateLimit >= 0, writeRateLimit.isFinite else {
            throw ValidationError("--write-rate-limit must be 0 or a positive number")
        }
        guard (1...65535).contains(port) else { throw ValidationError("--port (ENCORE_PORT) \(port) is not between 1 and 65535") }
        // The provider's settings are refused here, before anything starts, like every other option.
        if auth == .oidc {
            do {
                try oidc.configuration.validate()
            } catch let error as ConfigurationError {
                throw ValidationError(error.description)
            }
        }
    }

    func configuration(kafka: KafkaOptions, jwtSecret fallback: String? = nil) -> GatewayConfiguration {
        var configuration = GatewayConfiguration(
            role: role, host: host, port: port, log: kafka.log,
            authMode: auth, jwtSecret: jwtSecret ?? ProcessInfo.processInfo.environment["ENCORE_JWT_SECRET"] ?? fallback,
            oidc: oidc.configuration,
            writeRateLimit: writeRateLimit > 0 ? writeRateLimit : nil,
            loginByID: loginByID
        )
        configuration.feeds.streamsPerClient = feedStreamsPerClient
        configuration.crossOrigin = crossOrigin.policy
        return configuration
    }
}

/// The identity provider of `--auth oidc` (the gateway's and `encore dev`'s).
struct OIDCOptions: ParsableArguments {
    @Option(
        help:
            "With --auth oidc: the provider's JWKS (its jwks_uri), re-fetched when a token names an unknown kid, at most every 30 s (ENCORE_JWKS_URL)."
    )
    var jwksURL = EnvironmentOptions.default("JWKS_URL", "")

    @Option(help: "With --auth oidc: the provider's JWKS from a file instead of --jwks-url (ENCORE_JWKS_FILE).")
    var jwksFile = EnvironmentOptions.default("JWKS_FILE", "")

    @Option(help: "With --auth oidc: the iss every token must carry (ENCORE_ISSUER).")
    var issuer = EnvironmentOptions.default("ISSUER", "")

    @Option(help: "With --auth oidc: a value the token's aud must contain (ENCORE_AUDIENCE).")
    var audience = EnvironmentOptions.default("AUDIENCE", "")

    @Option(help: "With --auth oidc: the claim holding the Encore user id (ENCORE_USER_CLAIM).")
    var userClaim = EnvironmentOptions.default("USER_CLAIM", "sub")

    /// Empty options are absent: GatewayConfiguration.validate() names what is missing.
    var configuration: GatewayConfiguration.OIDC {
        GatewayConfiguration.OIDC(
            jwksURL: jwksURL.isEmpty ? nil : jwksURL, jwksFile: jwksFile.isEmpty ? nil : jwksFile,
            issuer: issuer.isEmpty ? nil : issuer, audience: audience.isEmpty ? nil : audience, userClaim: userClaim
        )
    }
}

/// `--cors-origins` (the gateway's and `encore dev`'s).
struct CrossOriginOptions: ParsableArguments {
    @Option(
        help:
            "Browser origins (scheme://host[:port], comma-separated, or *) whose pages may call the API; none by default (ENCORE_CORS_ORIGINS)."
    )
    var corsOrigins = EnvironmentOptions.default("CORS_ORIGINS", "")

    func validate() throws {
        do {
            _ = try CrossOriginPolicy(entries)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }

    /// The policy; validate() has refused a bad list before any use.
    var policy: CrossOriginPolicy { (try? CrossOriginPolicy(entries)) ?? .none }

    private var entries: [String] { corsOrigins.split(separator: ",").map(String.init) }
}

extension GatewayConfiguration.Role: ExpressibleByArgument {}
extension GatewayConfiguration.AuthMode: ExpressibleByArgument {}

/// Sends swift-metrics to a Prometheus registry that `/metrics` serves.
func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}
