import InfillLoop
import XCTest

final class ListenAddressTests: XCTestCase {
    func testAcceptedForms() throws {
        let table: [(String, ListenAddress)] = [
            ("unix:/tmp/sedd.sock", .unix(path: "/tmp/sedd.sock")),
            ("unix:relative/s.sock", .unix(path: "relative/s.sock")),
            ("tcp:127.0.0.1:7777", .tcp(host: "127.0.0.1", port: 7777)),
            ("tcp:localhost:0", .tcp(host: "localhost", port: 0)),
            ("tcp:[::1]:65535", .tcp(host: "::1", port: 65535)),
            ("tcp:[::]:80", .tcp(host: "::", port: 80)),
            ("tcp:0.0.0.0:1", .tcp(host: "0.0.0.0", port: 1)),
        ]
        for (text, expected) in table {
            XCTAssertEqual(try ListenAddress(parsing: text), expected, text)
        }
    }

    func testDescriptionReadsBack() throws {
        for text in ["unix:/tmp/a.sock", "tcp:127.0.0.1:80", "tcp:[::1]:8080"] {
            XCTAssertEqual(try ListenAddress(parsing: text).description, text)
        }
    }

    func testRejectedFormsNameTheProblem() {
        let longPath = "unix:/" + String(repeating: "a", count: 120)
        let table: [(String, String)] = [
            ("", "it is empty"),
            ("/tmp/sedd.sock", "neither 'unix:' nor 'tcp:'"),
            ("http://127.0.0.1:80", "neither 'unix:' nor 'tcp:'"),
            ("unix:", "socket path after 'unix:' is empty"),
            (longPath, "at most 107"),
            ("tcp:127.0.0.1", "':PORT' after the host is missing"),
            ("tcp::80", "host before ':PORT' is empty"),
            ("tcp:127.0.0.1:", "port after the host is empty"),
            ("tcp:127.0.0.1:65536", "not a number from 0 to 65535"),
            ("tcp:127.0.0.1:-1", "not a number from 0 to 65535"),
            ("tcp:127.0.0.1:80x", "not a number from 0 to 65535"),
            ("tcp:127.0.0.1:0000080", "not a number from 0 to 65535"),
            ("tcp:::1:80", "must be written in brackets"),
            ("tcp:[::1:80", "no closing ']'"),
            ("tcp:[::1]80", "expected ':PORT' after the bracketed host"),
            ("tcp:[nonsense]:80", "is not an IPv6 address"),
            ("tcp:bad host:80", "may contain only letters, digits"),
        ]
        for (text, reason) in table {
            do {
                let parsed = try ListenAddress(parsing: text)
                XCTFail("'\(text)' parsed as \(parsed)")
            } catch {
                let message = error.description
                XCTAssertTrue(message.contains(reason), "'\(text)': \(message)")
                XCTAssertTrue(message.contains("accepted: unix:PATH, tcp:HOST:PORT"), message)
            }
        }
    }
}
