import CZlib
import Foundation
import Kafka

/// One record of a partition as the journal keeps it: everything needed to produce it again
/// at the same offset with the same timestamp, key, headers and value.
public struct JournalRecord: Sendable, Hashable {
    public var offset: Int64
    /// Milliseconds since 1970 (the record's create or log-append time), nil when the broker gave none.
    public var timestamp: Int64?
    public var key: Data?
    public var value: Data
    public var headers: [KafkaHeader]

    public init(offset: Int64, timestamp: Int64?, key: Data?, value: Data, headers: [KafkaHeader]) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    public init(_ record: KafkaRecord) {
        self.init(
            offset: record.offset,
            timestamp: record.timestamp.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) },
            key: record.key,
            value: record.value,
            headers: record.headers
        )
    }

    /// The record to produce it again, to the same partition, with its own timestamp.
    public func message(topic: String, partition: Int32) -> ProducerMessage {
        var message = ProducerMessage(topic: topic, key: key, value: value, headers: headers, partition: partition)
        message.timestamp = timestamp.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        return message
    }
}

/// The journal's binary framing of one record, little-endian:
///
/// `u32 body length · u32 CRC-32 of the body · body`, where the body is
/// `i64 offset · i64 timestamp (-1: none) · i32 key length (-1: none) · key · i32 value length · value ·
///  u16 header count · (u16 name length · name · i32 value length (-1: none) · value)*`.
///
/// The CRC tells a torn or damaged frame from a whole one.
enum RecordFrame {
    static let headerSize = 8

    static func append(_ record: JournalRecord, to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: headerSize))
        put(UInt64(bitPattern: record.offset), into: &buffer)
        put(UInt64(bitPattern: record.timestamp ?? -1), into: &buffer)
        putBytes(record.key, into: &buffer)
        putBytes(record.value, into: &buffer)
        put(UInt16(record.headers.count), into: &buffer)
        for header in record.headers {
            let name = Array(header.name.utf8)
            put(UInt16(name.count), into: &buffer)
            buffer.append(contentsOf: name)
            putBytes(header.value, into: &buffer)
        }
        let bodyLength = buffer.count - start - headerSize
        let crc = buffer.withUnsafeBufferPointer { checksum(UnsafeRawBufferPointer($0).baseAddress! + start + headerSize, bodyLength) }
        write(UInt32(bodyLength), at: start, in: &buffer)
        write(crc, at: start + 4, in: &buffer)
    }

    static func encode(_ record: JournalRecord) -> [UInt8] {
        var buffer: [UInt8] = []
        append(record, to: &buffer)
        return buffer
    }

    /// What is at `position` of `bytes`.
    enum Read {
        case record(JournalRecord, next: Int)
        /// The bytes end inside a frame (a write cut short).
        case truncated
        /// A whole frame whose checksum or structure is wrong.
        case damaged(String)
    }

    static func read(_ bytes: UnsafeRawBufferPointer, at position: Int) -> Read {
        guard bytes.count - position >= headerSize else { return .truncated }
        let length = Int(load(UInt32.self, bytes, position))
        let crc = load(UInt32.self, bytes, position + 4)
        let body = position + headerSize
        guard bytes.count - body >= length else { return .truncated }
        guard checksum(bytes.baseAddress! + body, length) == crc else { return .damaged("checksum mismatch") }
        var cursor = Cursor(bytes: UnsafeRawBufferPointer(rebasing: bytes[body..<(body + length)]))
        guard let offset = cursor.int64(), let timestamp = cursor.int64(),
            let key = cursor.lengthPrefixed(), let value = cursor.lengthPrefixed(), let count = cursor.uint16()
        else { return .damaged("frame too short for its fields") }
        var headers: [KafkaHeader] = []
        for _ in 0..<count {
            guard let nameLength = cursor.uint16(), let name = cursor.raw(Int(nameLength)), let headerValue = cursor.lengthPrefixed() else {
                return .damaged("frame too short for its headers")
            }
            headers.append(KafkaHeader(String(decoding: name, as: UTF8.self), headerValue))
        }
        guard cursor.atEnd, let value else { return .damaged("frame longer than its fields") }
        let record = JournalRecord(offset: offset, timestamp: timestamp < 0 ? nil : timestamp, key: key, value: value, headers: headers)
        return .record(record, next: body + length)
    }

    /// CRC-32 (zlib's) of `count` bytes.
    static func checksum(_ pointer: UnsafeRawPointer, _ count: Int, continuing crc: UInt32 = 0) -> UInt32 {
        UInt32(crc32_z(UInt(crc), pointer.assumingMemoryBound(to: UInt8.self), count))
    }

    private static func put<T: FixedWidthInteger>(_ value: T, into buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    private static func putBytes(_ data: Data?, into buffer: inout [UInt8]) {
        guard let data else { return put(Int32(-1), into: &buffer) }
        put(Int32(data.count), into: &buffer)
        buffer.append(contentsOf: data)
    }

    private static func write(_ value: UInt32, at index: Int, in buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes in
            for i in 0..<4 { buffer[index + i] = bytes[i] }
        }
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: UnsafeRawBufferPointer, _ at: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    /// Reads fields from a frame's body; nil when the body ends first.
    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func raw(_ count: Int) -> UnsafeRawBufferPointer? {
            guard count >= 0, bytes.count - position >= count else { return nil }
            defer { position += count }
            return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        }

        mutating func int64() -> Int64? { raw(8).map { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) } }
        mutating func uint16() -> UInt16? { raw(2).map { UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) } }

        /// A length-prefixed byte string: `.some(nil)` for length -1.
        mutating func lengthPrefixed() -> Data?? {
            guard let length = raw(4).map({ Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) }) else { return nil }
            if length == -1 { return .some(nil) }
            return raw(Int(length)).map { .some(Data($0)) }
        }
    }
}

/// A running checksum over a partition's records in order (the CRC-32 of their frames'
/// bodies chained), computed alike from a journal and from a broker's copy.
public struct PartitionChecksum: Sendable, Hashable, CustomStringConvertible {
    public private(set) var value: UInt32 = 0
    public private(set) var records: Int64 = 0

    public init() {}

    public mutating func add(_ record: JournalRecord) {
        let frame = RecordFrame.encode(record)
        value = frame.withUnsafeBytes {
            RecordFrame.checksum($0.baseAddress! + RecordFrame.headerSize, frame.count - RecordFrame.headerSize, continuing: value)
        }
        records += 1
    }

    public var description: String { String(format: "%08x over %lld records", value, records) }
}
