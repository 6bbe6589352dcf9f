import Foundation
import SioJSON
import Testing
@testable import SiodCore

/// `{"$credential": NAME}` in the configuration reads systemd's credentials directory, so a
/// token can live encrypted (LoadCredentialEncrypted=) instead of in /etc.
@Suite struct CredentialTests {
    private func withCredentials<T>(_ files: [String: String], _ body: (String) throws -> T) throws -> T {
        let directory = NSTemporaryDirectory() + "siod-credentials-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, contents) in files {
            try contents.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        return try body(directory)
    }

    private let text = #"{"sockets":{"chat":{"url":"http://h:1","auth":{"token":{"$credential":"chat-token"}},"extraHeaders":{"Authorization":{"$credential":"bearer"}}}}}"#

    @Test func credentials_areReadIntoTheRequest_andTheParamsKeepTheReference() throws {
        try self.withCredentials(["chat-token": "s3cret\n", "bearer": "Bearer abc"]) { directory in
            let config = try ConfigFile(parsing: Array(self.text.utf8), path: "siod.json", credentials: directory)
            let request = try #require(config.sockets["chat"])
            #expect(request.auth == ["token": "s3cret"], "the file's contents, its final newline dropped")
            #expect(request.connection.extraHeaders.map(\.value) == ["Bearer abc"])
            let params = try #require(config.params["chat"])
            var bytes: [UInt8] = []
            params.write(to: &bytes)
            let written = String(decoding: bytes, as: UTF8.self)
            #expect(written.contains(#"{"$credential":"chat-token"}"#) && !written.contains("s3cret"), "the secret is not kept: \(written)")
        }
    }

    @Test(arguments: [
        ([String: String](), "credential \"chat-token\" does not exist"),
        (["chat-token": "x"], "credential \"bearer\" does not exist"),
    ])
    func aMissingCredential_refusesTheFile_namingIt(files: [String: String], reason: String) throws {
        try self.withCredentials(files) { directory in
            #expect {
                try ConfigFile(parsing: Array(self.text.utf8), path: "siod.json", credentials: directory)
            } throws: { error in
                "\(error)".contains(reason) && "\(error)".contains("sockets.chat")
            }
        }
    }

    @Test func withoutACredentialsDirectory_orWithAPath_theFileIsRefused() {
        #expect {
            try ConfigFile(parsing: Array(self.text.utf8), path: "siod.json", credentials: nil)
        } throws: { "\($0)".contains("CREDENTIALS_DIRECTORY is not set") }
        let escape = #"{"sockets":{"a":{"url":"http://h:1","auth":{"t":{"$credential":"../etc/shadow"}}}}}"#
        #expect {
            try ConfigFile(parsing: Array(escape.utf8), path: "siod.json", credentials: "/run/credentials/siod.service")
        } throws: { "\($0)".contains("is not a file name") }
    }
}
