import Testing
@testable import TidelineCLI

@Suite struct ProcessAllocatorTests {
    /// glibc accepts both settings. This fails when the C side is compiled without seeing glibc's headers (it once
    /// was, and silently changed nothing) or when a threshold goes beyond what glibc allows (the mmap threshold at
    /// most 32 MiB on 64-bit). Applying the settings again is harmless, so the test process may do it.
    @Test func glibcAcceptsTheSettings() {
        #if canImport(Glibc)
        #expect(ProcessAllocator.configure())
        #else
        #expect(!ProcessAllocator.configure())
        #endif
    }
}
