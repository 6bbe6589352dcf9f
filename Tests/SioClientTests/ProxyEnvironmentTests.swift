import Foundation
import Testing
@testable import SioClient

/// Which proxy a Manager uses: the option, else `https_proxy`/`http_proxy` unless `no_proxy`.
@Suite struct ProxyEnvironmentTests {
    private let options = ManagerOptions()

    @Test func explicitProxy_wins() {
        var options = ManagerOptions()
        options.proxy = .init(host: "p", port: 3128)
        #expect(options.effectiveProxy(host: "127.0.0.1", secure: false, environment: ["http_proxy": "http://env:1"]) == .init(host: "p", port: 3128))
    }

    @Test func environment_bySchemeAndCase() {
        let environment = ["HTTPS_PROXY": "http://secure-proxy:8443", "http_proxy": "plain-proxy:8080"]
        #expect(self.options.effectiveProxy(host: "example.com", secure: true, environment: environment) == .init(host: "secure-proxy", port: 8443))
        #expect(self.options.effectiveProxy(host: "example.com", secure: false, environment: environment) == .init(host: "plain-proxy", port: 8080))
    }

    @Test func noProxy_andLoopback_areNeverProxiedFromTheEnvironment() {
        let environment = ["http_proxy": "http://proxy:3128", "no_proxy": "internal.example, .corp"]
        #expect(self.options.effectiveProxy(host: "internal.example", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "a.b.corp", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "example.com", secure: false, environment: environment) != nil)
        #expect(self.options.effectiveProxy(host: "127.0.0.1", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "localhost", secure: false, environment: environment) == nil)
        #expect(self.options.effectiveProxy(host: "example.com", secure: false, environment: ["http_proxy": "x:1", "no_proxy": "*"]) == nil)
    }

    @Test func environmentProxy_canBeTurnedOff() {
        var options = ManagerOptions()
        options.useEnvironmentProxy = false
        #expect(options.effectiveProxy(host: "example.com", secure: false, environment: ["http_proxy": "http://proxy:3128"]) == nil)
    }
}
