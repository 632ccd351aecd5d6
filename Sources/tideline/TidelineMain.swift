import TidelineCLI

@main
enum TidelineMain {
    static func main() async {
        ProcessAllocator.configure()
        await TidelineCommand.main()
    }
}
