package dev.cutover.testsupport;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Class loaders over the test classpath with some jars left out, to prove that a module runs
 * without its optional dependencies (Micrometer, OpenFeature): load the scenario class through the
 * returned loader and call it reflectively.
 */
public final class IsolatedClasspath {
    private IsolatedClasspath() {
    }

    /**
     * A class loader over the test classpath without the entries whose path contains any of the
     * fragments; its parent is the platform loader, so nothing leaks in from the test's own loader.
     *
     * @param pathFragments e.g. {@code "micrometer"}
     * @return the loader; the caller closes it
     */
    public static URLClassLoader without(String... pathFragments) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        URL[] kept = Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> Arrays.stream(pathFragments).noneMatch(entry::contains))
                .map(IsolatedClasspath::url)
                .toArray(URL[]::new);
        return new URLClassLoader(kept, ClassLoader.getPlatformClassLoader());
    }

    /**
     * Whether a class can be loaded, so that a test can check the isolation really holds.
     *
     * @param loader the loader
     * @param className the class's binary name
     * @return true if the loader finds it
     */
    public static boolean canLoad(ClassLoader loader, String className) {
        try {
            loader.loadClass(className);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static URL url(String entry) {
        try {
            return Path.of(entry).toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("Bad classpath entry " + entry, e);
        }
    }
}
