/// siod's version (`siod --version`, `daemon.info`).
public enum SiodVersion {
    public static let string = "0.1.0"
}
