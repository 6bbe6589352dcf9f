import Foundation
import Testing
@testable import SioClient

/// The per-Manager cookie jar (sticky sessions).
@Suite struct CookieJarTests {
    @Test func storesAndSends_nameAndValue() {
        var jar = CookieJar()
        jar.store(["io=abc; Path=/; HttpOnly", "lb=\"node1\"; SameSite=Lax"], now: 0)
        #expect(jar.header(now: 1) == "io=abc; lb=node1")
        jar.store(["io=def"], now: 2)
        #expect(jar.header(now: 3) == "lb=node1; io=def")
    }

    @Test func maxAge_andExpires_delete() throws {
        var jar = CookieJar()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        jar.store(["a=1; Max-Age=10", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "c=3"], now: 1000, date: now)
        #expect(jar.header(now: 1000) == "a=1; c=3")
        #expect(jar.header(now: 11_000) == "c=3")
        jar.store(["c=3; Max-Age=0"], now: 12_000, date: now)
        #expect(jar.header(now: 12_000) == nil)
    }

    @Test func hostileMaxAge_neverTraps() {
        var jar = CookieJar()
        jar.store(["a=1; Max-Age=9223372036854775807", "b=2; Max-Age=-9223372036854775808"], now: 5)
        #expect(jar.header(now: 6) == "a=1")
    }
}
