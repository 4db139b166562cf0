import Foundation
import Kafka
import Lag
import Log

/// How a gateway process runs: which role, where the broker and store are, how it authenticates.
public struct GatewayConfiguration: Sendable {
    /// Which half of the API this process serves; `all` serves both.
    public enum Role: String, Sendable, CaseIterable {
        case write, read, all

        var writes: Bool { self != .read }
        var reads: Bool { self != .write }
    }

    /// How requests prove who they are.
    public enum AuthMode: String, Sendable, CaseIterable {
        /// A JWT (HS256) from `PUT /api/v1/user/login` in `Authorization: Bearer …`.
        case jwt
        /// Any `Authorization` header is accepted, as the original system did.
        case legacy
        /// No authentication (local experiments only).
        case none
        /// RS256/ES256 tokens from an OpenID Connect provider, checked against its JWKS; Encore
        /// issues none.
        case oidc
    }

    /// Where an `oidc` gateway finds the provider's keys and what its tokens must say.
    public struct OIDC: Sendable {
        /// The provider's JWKS document, over HTTP(S) (`jwks_uri` of its discovery document).
        public var jwksURL: String?
        /// The JWKS from a file instead (re-read like the URL when an unknown `kid` appears).
        public var jwksFile: String?
        /// The `iss` every token must carry, compared exactly.
        public var issuer: String?
        /// A value the token's `aud` must contain.
        public var audience: String?
        /// The claim naming the Encore user id.
        public var userClaim: String
        /// At most one JWKS refresh for unknown `kid`s per this interval, so a flood of made-up
        /// `kid`s cannot hammer the provider.
        public var refreshInterval: Duration
        /// Keys older than this are read again in the background (the old ones serve meanwhile),
        /// so a key the provider withdrew stops being trusted.
        public var keysMaxAge: Duration

        public init(
            jwksURL: String? = nil, jwksFile: String? = nil, issuer: String? = nil, audience: String? = nil,
            userClaim: String = "sub", refreshInterval: Duration = .seconds(30), keysMaxAge: Duration = .seconds(900)
        ) {
            self.jwksURL = jwksURL
            self.jwksFile = jwksFile
            self.issuer = issuer
            self.audience = audience
            self.userClaim = userClaim
            self.refreshInterval = refreshInterval
            self.keysMaxAge = keysMaxAge
        }

        /// Throws when `--auth oidc` cannot work: one JWKS source, an issuer and an audience are needed.
        public func validate() throws {
            _ = try keySource()
            guard let issuer, !issuer.isEmpty else {
                throw ConfigurationError("auth mode oidc needs the provider's issuer: set --issuer or ENCORE_ISSUER")
            }
            guard let audience, !audience.isEmpty else {
                throw ConfigurationError("auth mode oidc needs the audience tokens are issued for: set --audience or ENCORE_AUDIENCE")
            }
            guard !userClaim.isEmpty else {
                throw ConfigurationError("--user-claim (ENCORE_USER_CLAIM) must name a claim, e.g. sub")
            }
        }
    }

    public var role: Role
    public var host: String
    public var port: Int
    /// Where the log is, and the operator's client settings for every Kafka client of the gateway.
    public var log: LogLocation
    public var authMode: AuthMode
    /// HS256 secret; required in `jwt` mode.
    public var jwtSecret: String?
    /// The identity provider; used in `oidc` mode.
    public var oidc: OIDC
    public var tokenLifetime: Duration
    /// How long a synchronous write waits for its command to be applied (then v1 answers
    /// `504 not_applied`, v2 `202`).
    public var syncWriteTimeout: Duration
    /// How long a read presenting a consistency token waits for the projector.
    public var consistencyTimeout: Duration
    /// `/ready` fails when a projection's checkpoint is further behind the log end than this.
    public var readyLagThreshold: Int64
    /// How `/lag`, `/ready` and the dashboard measure lag.
    public var lag: LagMonitor.Settings
    /// How often the gateway re-reads which namespace serves each read model.
    public var namespaceRefresh: Duration
    /// Whether `PUT /api/v1/user/login` issues a token to anyone naming an existing user id, as
    /// the original system did. It proves nothing about the caller: turn it off where tokens
    /// come from an identity provider sharing the secret.
    public var loginByID: Bool
    /// Writes per second one client may send on average, in bursts of twice as many; nil
    /// turns the limit off.
    public var writeRateLimit: Double?
    /// Browser origins whose pages may call the API (CORS); none by default.
    public var crossOrigin = CrossOriginPolicy.none
    /// Live change feeds: streams per client, buffers, heartbeats.
    public var feeds = FeedSettings()
    /// When the broker's acknowledgement is not yet durability (`encore dev`'s memory broker),
    /// what a write waits for before it is acknowledged; nil on a real cluster.
    public var durability: (any LogDurability)?
    /// The projectors running in this process (`encore dev`), which own their partitions
    /// directly and so are members of no consumer group; nil where projectors run apart.
    public var localProjector: (any PartitionOwnership)?

    /// Throws when the configuration cannot work safely: `jwt` mode needs a secret from the
    /// configuration (there is no default) of at least 32 bytes (shorter HS256 keys are weak,
    /// and jwt-kit traps on them); `oidc` mode needs one JWKS source, an issuer and an audience.
    public func validate() throws {
        switch authMode {
        case .jwt:
            guard let jwtSecret, !jwtSecret.isEmpty else {
                throw ConfigurationError("auth mode jwt needs a secret: set --jwt-secret or ENCORE_JWT_SECRET")
            }
            guard jwtSecret.utf8.count >= 32 else {
                throw ConfigurationError("the JWT secret must be at least 32 bytes long")
            }
        case .oidc:
            try oidc.validate()
        case .legacy, .none:
            return
        }
    }

    public init(
        role: Role = .all,
        host: String = "127.0.0.1",
        port: Int = 8080,
        log: LogLocation,
        authMode: AuthMode = .jwt,
        jwtSecret: String? = nil,
        oidc: OIDC = OIDC(),
        tokenLifetime: Duration = .seconds(3600),
        syncWriteTimeout: Duration = .seconds(5),
        consistencyTimeout: Duration = .seconds(5),
        readyLagThreshold: Int64 = 10_000,
        lag: LagMonitor.Settings = LagMonitor.Settings(),
        namespaceRefresh: Duration = .milliseconds(250),
        writeRateLimit: Double? = nil,
        loginByID: Bool = true
    ) {
        self.role = role
        self.host = host
        self.port = port
        self.log = log
        self.authMode = authMode
        self.jwtSecret = jwtSecret
        self.oidc = oidc
        self.tokenLifetime = tokenLifetime
        self.syncWriteTimeout = syncWriteTimeout
        self.consistencyTimeout = consistencyTimeout
        self.readyLagThreshold = readyLagThreshold
        self.lag = lag
        self.namespaceRefresh = namespaceRefresh
        self.writeRateLimit = writeRateLimit
        self.loginByID = loginByID
    }
}
