import TidelineCLI

@main
enum TidelineMain {
    static func main() async {
        await TidelineCommand.main()
    }
}
