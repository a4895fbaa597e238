package dev.cutover.dualwrite.internal.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which driver overload runs a plain statement's SQL, without a database. */
class PhysicalStatementsTest {
    private final List<String> calls = new ArrayList<>();
    private final Statement driver = (Statement) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {Statement.class}, (proxy, method, args) -> {
                calls.add(method.getName() + Arrays.toString(method.getParameterTypes()));
                return method.getReturnType() == boolean.class ? (Object) Boolean.TRUE : (Object) 3;
            });
    private final PhysicalStatements statements = new PhysicalStatements(null, null, null);

    @Test
    void executeAndExecuteUpdate_askForGeneratedKeysAsTheApplicationDid() throws Exception {
        for (Object keyRequest : new Object[] {null, Statement.RETURN_GENERATED_KEYS, new int[] {1}, new String[] {"id"}}) {
            assertTrue(statements.execute(driver, "INSERT INTO t VALUES (1)", keyRequest));
            assertEquals(3, statements.executeUpdate(driver, "INSERT INTO t VALUES (1)", keyRequest));
        }
        String text = "class java.lang.String";
        assertEquals(List.of("execute[" + text + "]", "executeUpdate[" + text + "]",
                "execute[" + text + ", int]", "executeUpdate[" + text + ", int]",
                "execute[" + text + ", class [I]", "executeUpdate[" + text + ", class [I]",
                "execute[" + text + ", class [Ljava.lang.String;]", "executeUpdate[" + text + ", class [Ljava.lang.String;]"),
                calls);
    }
}
