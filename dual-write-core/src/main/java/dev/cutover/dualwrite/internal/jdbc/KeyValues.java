package dev.cutover.dualwrite.internal.jdbc;

import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;

/** Reads key values out of SQL literals and bound parameters. */
final class KeyValues {
    /** Returned when an expression is not a literal or a parameter, e.g. a function call or a sequence. */
    static final Object NOT_A_VALUE = new Object();

    private KeyValues() {
    }

    static boolean isValue(Expression expression) {
        return expression instanceof JdbcParameter parameter && parameter.getIndex() != null
                || expression instanceof LongValue || expression instanceof StringValue
                || expression instanceof SignedExpression signed && signed.getSign() == '-'
                        && signed.getExpression() instanceof LongValue;
    }

    /**
     * @param expression a value expression of the statement
     * @param parameters the statement's bound parameters
     * @return the value, null for a parameter bound to null, or {@link #NOT_A_VALUE}
     */
    static Object value(Expression expression, Parameters parameters) {
        if (expression instanceof JdbcParameter parameter && parameter.getIndex() != null) {
            return parameters.value(parameter.getIndex());
        }
        if (expression instanceof LongValue number) {
            return number.getValue();
        }
        if (expression instanceof StringValue text) {
            return text.getValue();
        }
        if (expression instanceof SignedExpression signed && signed.getSign() == '-'
                && signed.getExpression() instanceof LongValue number) {
            return -number.getValue();
        }
        return NOT_A_VALUE;
    }
}
