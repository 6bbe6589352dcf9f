// Micro-benchmark of the protocol core: packets per second for decoding and encoding a typical
// small event (`42["tick",{"n":1}]`) and a 1 KB event, through the Engine.IO and Socket.IO codecs
// and through the whole Manager state machine. Not a test: it prints numbers.
//
//   swift run -c release sioproto-bench            # 5 rounds of 300 ms per case, median and range
//   swift run -c release sioproto-bench --quick    # a smoke run
import SioJSON
import SioProtocol

let quick = CommandLine.arguments.contains("--quick")
let rounds = quick ? 1 : 5
let roundDuration: Duration = quick ? .milliseconds(10) : .milliseconds(300)

// MARK: - Measuring

/// Runs `body` in batches until `roundDuration` has passed; returns operations per second.
func measure(_ body: () -> Int) -> (rate: Double, checksum: Int) {
    let clock = ContinuousClock()
    var operations = 0
    var checksum = 0
    let start = clock.now
    var elapsed: Duration = .zero
    repeat {
        for _ in 0..<256 {
            checksum &+= body()
        }
        operations += 256
        elapsed = clock.now - start
    } while elapsed < roundDuration
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return (Double(operations) / seconds, checksum)
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if digits == 0 { return String(Int(rounded)) }
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return left ? padding + text : text + padding
}

/// Returns the checksum of its runs so the work cannot be optimised away.
@discardableResult
func report(_ name: String, _ body: () -> Int) -> Int {
    var rates: [Double] = []
    var sink = 0
    for _ in 0..<rounds {
        let (rate, checksum) = measure(body)
        rates.append(rate)
        sink &+= checksum
    }
    rates.sort()
    let median = rates[rates.count / 2]
    var line = pad(name, 46) + pad(fixed(median / 1e6, 3), 8, left: true) + " M packets/s"
        + pad(fixed(1e9 / median, 0), 8, left: true) + " ns/packet"
    if rates.count > 1 {
        line += "   range " + fixed(rates.first! / 1e6, 3) + "–" + fixed(rates.last! / 1e6, 3)
    }
    print(line)
    return sink
}

// MARK: - Inputs

/// The typical small event as an Engine.IO message (a WebSocket text frame).
let smallEngineWire = #"42["tick",{"n":1}]"#
let smallArguments: [JSON] = [["n": 1]]

/// A realistic 1 KB event: a few fields, a nested array, unicode and escapes in strings.
let kilobyteArguments: [JSON] = [[
    "n": 123_456,
    "user": ["id": "u-8f14e45fceea167a5a36dedd4bea2543", "name": "Zoë \"zed\" Müller", "roles": ["admin", "ops"]],
    "ts": 1_764_166_400_123,
    "price": 1234.5678,
    "ok": true,
    "tags": .array((0..<12).map { .string("tag-\($0)") }),
    "text": .string(String(repeating: "lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 13)),
]]
let kilobyteWire = SocketPacket.event("tick", EventArguments(kilobyteArguments)).encodedText
let kilobyteEngineWire = "4" + kilobyteWire

// MARK: - Codec cases

func decodeCase(_ wire: String) -> () -> Int {
    var decoder = SocketPacketDecoder()
    return {
        guard case .message(.text(let text))? = try? EnginePacket(decodingWebSocket: .text(wire)),
              let packet = try? decoder.decode(text: text),
              case .event(let name, let arguments) = packet.data
        else { fatalError("benchmark input did not decode") }
        return name.description.utf8.count &+ arguments.text.bytes.count
    }
}

func encodeCase(_ arguments: [JSON]) -> () -> Int {
    return {
        let packet = SocketPacket.event("tick", EventArguments(arguments))
        guard case .text(let text) = EnginePacket.message(.text(packet.encodedText)).webSocketMessage else { return 0 }
        return text.utf8.count
    }
}

// MARK: - Through the Manager state machine

/// A Manager connected over WebSocket, ready to receive and send.
func connectedManager() -> (ManagerStateMachine, ConnectionID) {
    var manager = ManagerStateMachine(
        configuration: ManagerConfiguration(engine: EngineConfiguration(transports: [.websocket])),
        random: SystemRandomNumberGenerator()
    )
    try! manager.addSocket("/")
    var webSocket: ConnectionID?
    for action in try! manager.connect("/", now: 0) {
        if case .openWebSocket(let id, _) = action { webSocket = id }
    }
    let id = webSocket!
    _ = manager.webSocketOpened(id, now: 0)
    _ = manager.webSocketReceived(id, .text(#"0{"sid":"E","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#), now: 0)
    _ = manager.webSocketReceived(id, .text(#"40{"sid":"S"}"#), now: 0)
    return (manager, id)
}

func managerReceiveCase(_ wire: String) -> () -> Int {
    var (manager, id) = connectedManager()
    return { manager.webSocketReceived(id, .text(wire), now: 1).count }
}

func managerEmitCase(_ arguments: [JSON]) -> () -> Int {
    var (manager, _) = connectedManager()
    let prepared = EventArguments(arguments)
    return { (try? manager.emit("/", "tick", prepared, now: 1))?.1.count ?? 0 }
}

// MARK: - Run

print("sioproto-bench: \(rounds) round(s) of \(roundDuration) per case, median" + (quick ? " (quick)" : ""))
print("small event: \(smallEngineWire)  (\(smallEngineWire.utf8.count) bytes on the wire)")
print("1 KB event:  \(kilobyteEngineWire.utf8.count) bytes on the wire")
var sink = 0
sink &+= report("decode small (engine + socket.io)", decodeCase(smallEngineWire))
sink &+= report("decode 1 KB (engine + socket.io)", decodeCase(kilobyteEngineWire))
sink &+= report("encode small (values → wire text)", encodeCase(smallArguments))
sink &+= report("encode 1 KB (values → wire text)", encodeCase(kilobyteArguments))
sink &+= report("manager receive small (frame → socket event)", managerReceiveCase(smallEngineWire))
sink &+= report("manager receive 1 KB", managerReceiveCase(kilobyteEngineWire))
sink &+= report("manager emit small (prepared args → frame)", managerEmitCase(smallArguments))
sink &+= report("manager emit 1 KB", managerEmitCase(kilobyteArguments))
if sink == 42 { print("") }
