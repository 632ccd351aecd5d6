import Testing
@testable import TidelineCLI

@Suite struct ProcessAllocatorTests {
    /// glibc accepts both settings. This fails when the C side is compiled without seeing glibc's headers (it once
    /// was, and silently changed nothing) or when a threshold goes beyond what glibc allows (the mmap threshold at
    /// most 32 MiB on 64-bit). Applying the settings again is harmless, so the test process may do it.
    @Test func glibcAcceptsTheSettings() {
        #if canImport(Glibc)
        #expect(ProcessAllocator.configure(environment: [:]))
        #else
        #expect(!ProcessAllocator.configure(environment: [:]))
        #endif
    }

    /// An operator's own malloc tunables win: nothing is applied over them.
    @Test func leavesTheOperatorsMallocTunablesAlone() {
        #expect(!ProcessAllocator.configure(environment: ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"]))
        #if canImport(Glibc)
        #expect(ProcessAllocator.configure(environment: ["GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F"]))
        #endif
    }
}
