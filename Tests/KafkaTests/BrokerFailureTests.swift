import Foundation
import Kafka
import KafkaTesting
import Testing

@Suite("Failures give errors, never hangs")
struct BrokerFailureTests {
    @Test("with the broker stopped, send fails within message.timeout.ms instead of hanging")
    func sendFailsWhenBrokerStops() async throws {
        try await TestBroker.with { broker in
            let topic = try await broker.createTopic(partitions: 1)
            let producer = try broker.producer(["message.timeout.ms": "3000"])
            _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("ok".utf8)))
            await broker.process.stop()

            let started = ContinuousClock.now
            // The race against a 20 s timer turns a hang into a failure rather than a stuck run.
            let outcome = await withTaskGroup(of: String.self) { group in
                group.addTask {
                    do {
                        _ = try await producer.send(ProducerMessage(topic: topic, key: nil, value: Data("lost".utf8)))
                        return "acknowledged"
                    } catch let error as KafkaError {
                        return error.isTimeout && error.isRetriable && !error.isFatal ? "timed out" : "failed: \(error)"
                    } catch {
                        return "other error: \(error)"
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(20))
                    return "hung"
                }
                let first = await group.next()!
                group.cancelAll()
                return first
            }
            let elapsed = ContinuousClock.now - started
            #expect(outcome == "timed out")
            // message.timeout.ms (3 s) plus librdkafka's 1 s timeout scan and scheduling slack, which
            // on the loaded CI machine reached 8.85 s and 12.6 s; a hang is the 20 s race above.
            #expect(elapsed < .seconds(18), "send took \(elapsed)")
            await producer.close(flushTimeout: .milliseconds(100))
        }
    }
}
