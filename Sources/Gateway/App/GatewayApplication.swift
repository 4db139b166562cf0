import Domain
import Foundation
import Hummingbird
import Kafka
import Lag
import Logging
import Privacy
import Prometheus
import ServiceLifecycle
import Store
import Tracing

/// Builds the gateway: routes, middleware and the clients it owns.
public enum GatewayApplication {
    /// A ready-to-run Hummingbird application; the producer is closed when it shuts down.
    /// Reads follow the namespace that serves each read model (see ``ActiveNamespaces``);
    /// `store` is any namespace of the database.
    ///
    /// `registry` is where `/metrics` reads from: bootstrap swift-metrics with it
    /// (`PrometheusMetricsFactory(registry:)`) before calling this.
    public static func make(
        configuration: GatewayConfiguration,
        store: any ReadModelStore,
        keys: DataKeys,
        registry: PrometheusCollectorRegistry,
        logger: Logger
    ) async throws -> some ApplicationProtocol {
        let authenticator = try await Authenticator(configuration: configuration, logger: logger)
        let namespaces = ActiveNamespaces(base: store, logger: logger)
        try await namespaces.refreshAtStart()
        let monitor = try LagMonitor(
            log: configuration.log, namespaces: namespaces, settings: configuration.lag, localProjector: configuration.localProjector,
            logger: logger
        )
        let watch = CheckpointWatch(namespaces: namespaces, logger: logger)
        let logEnds = try LogEnds(log: configuration.log, logger: logger)
        let feed = ChangeFeed(namespaces: namespaces, keys: keys, settings: configuration.feeds, logger: logger)
        var services: [any Service] = [
            NamespaceFollower(namespaces: namespaces, interval: configuration.namespaceRefresh), monitor, watch, logEnds, feed,
        ]
        var commands: CommandService?
        if configuration.role.writes {
            let producer = try KafkaProducer(configuration: configuration.log.producer(["message.timeout.ms": "5000"]), logger: logger)
            services.append(producer)
            commands = CommandService(
                producer: producer, durability: configuration.durability, namespaces: namespaces, watch: watch, logEnds: logEnds,
                topicPrefix: configuration.log.topicPrefix, keys: keys, logger: logger
            )
        }
        let gateway = GatewayServices(
            commands: commands,
            reads: ReadService(
                namespaces: namespaces, watch: watch, consistencyTimeout: configuration.consistencyTimeout, keys: keys, logEnds: logEnds),
            authenticator: authenticator,
            configuration: configuration,
            monitor: monitor
        )
        let router = makeRouter(services: gateway, feed: feed)
        OperationsRoutes(
            namespaces: namespaces, monitor: monitor, registry: registry, lagThreshold: configuration.readyLagThreshold,
            lagInterval: configuration.lag.interval,
            lagLimitsReadiness: configuration.role.reads
        )
        .add(to: router)
        return Application(
            router: router,
            // Header limits well above what a client of this API sends (a token, a few short
            // headers): beyond them the request is answered 400 and its connection closed before
            // any route runs. Idle keep-alive connections close after a minute.
            server: .http1(
                configuration: .init(
                    idleTimeout: .seconds(60),
                    httpDecoderConfiguration: .init(maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 32 * 1024, maxHeaderFieldCount: 100)
                )),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "encore"),
            services: services,
            logger: logger
        )
    }

    /// The API routes with error, metrics and auth middleware; no clients of its own.
    static func makeRouter(services: GatewayServices, feed: ChangeFeed? = nil) -> Router<EncoreRequestContext> {
        let router = Router(context: EncoreRequestContext.self)
        // Spans only with a tracer: with tracing off, building each request's span attributes
        // for the no-op tracer was a tenth of a /health request's CPU.
        if !(InstrumentationSystem.tracer is NoOpTracer) {
            // A feed's access_token must not reach the traces (see Authenticator.credential).
            router.add(middleware: TracingMiddleware(recordingHeaders: [.requestID], redactingQueryParameters: ["access_token"]))
        }
        router.add(middleware: RequestIDMiddleware())
        // Outside the error middleware, so that errors reach a page as readable answers too.
        router.add(middleware: CrossOriginMiddleware(policy: services.configuration.crossOrigin))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AuthMiddleware(authenticator: services.authenticator, reads: services.reads))
        if let rate = services.configuration.writeRateLimit {
            router.add(middleware: WriteRateLimitMiddleware(limiter: WriteRateLimiter(rate: rate, burst: max(1, 2 * rate))))
        }
        let v1 = V1Routes(services: services)
        router.addRoutes(v1.users(), atPath: "/api/v1/user")
        router.addRoutes(v1.music(), atPath: "/api/v1/music")
        router.addRoutes(v1.playlists(), atPath: "/api/v1/playlist")
        let v2 = V2Routes(services: services)
        for kind in EntityKind.allCases {
            router.addRoutes(v2.collection(kind), atPath: "/api/v2/\(kind.topicSuffix)")
        }
        if let feed { FeedRoutes(services: services, feed: feed).add(to: router) }
        return router
    }
}
