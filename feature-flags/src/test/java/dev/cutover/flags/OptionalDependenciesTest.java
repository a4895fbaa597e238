package dev.cutover.flags;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The module works without its optional dependencies: the core classes load and run from a class
 * loader that has neither Micrometer nor the OpenFeature SDK.
 */
class OptionalDependenciesTest {

    private static URLClassLoader withoutOptionalDependencies() throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("micrometer") && !entry.contains("openfeature")) {
                urls.add(new File(entry).toURI().toURL());
            }
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    @Test
    void coreRunsWithoutMicrometerAndOpenFeature() throws Exception {
        try (URLClassLoader loader = withoutOptionalDependencies()) {
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("io.micrometer.core.instrument.MeterRegistry"));
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass("dev.openfeature.sdk.Client"));

            Class<?> storeType = loader.loadClass(FlagStore.class.getName());
            Class<?> flagsType = loader.loadClass(MigrationFlags.class.getName());
            Class<?> stageType = loader.loadClass(Stage.class.getName());
            loader.loadClass(JdbcFlagStore.class.getName()).getMethods();

            Object store = storeType.getMethod("inMemory").invoke(null);
            Object builder = flagsType.getMethod("builder", storeType).invoke(null, store);
            try (AutoCloseable flags = (AutoCloseable) builder.getClass().getMethod("build").invoke(builder)) {
                Object shiftReads = stageType.getField("SHIFT_READS").get(null);
                flagsType.getMethod("forceMoveTo", String.class, stageType, String.class, String.class)
                        .invoke(flags, "orders", shiftReads, "test", "isolated class loader");
                Object state = flagsType.getMethod("state", String.class).invoke(flags, "orders");
                Method stage = state.getClass().getMethod("stage");
                assertEquals(shiftReads, stage.invoke(state));
                assertTrue(state.getClass().getClassLoader() == loader);
            }
        }
    }
}
