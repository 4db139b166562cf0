import ServiceLifecycle
import Store

/// Keeps a gateway's ``ActiveNamespaces`` current while it runs, and closes the namespace
/// stores it opened when the gateway stops.
struct NamespaceFollower: Service {
    let namespaces: ActiveNamespaces
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown { await namespaces.run(every: interval) }
        await namespaces.close()
    }
}
