// ESLint rule: a plain object used as a map keyed by computed values. `obj[key] = v` on an
// object that started as `{}` inherits Object.prototype: a key like `__proto__` vanishes or
// pollutes, and `constructor` reads a function. Use a Map, or Object.create(null).

/** The expression under TypeScript's `as`, `satisfies` and `!` wrappers. */
function unwrap(node) {
  while (
    node &&
    ['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion'].includes(node.type)
  )
    node = node.expression;
  return node;
}

const isEmptyObject = (node) => {
  const inner = unwrap(node);
  return inner?.type === 'ObjectExpression' && inner.properties.length === 0;
};

/** `{}`, or `something ?? {}` / `something || {}`: an empty plain object the code then fills. */
const startsEmpty = (node) => {
  const inner = unwrap(node);
  if (!inner) return false;
  if (isEmptyObject(inner)) return true;
  return inner.type === 'LogicalExpression' && ['??', '||'].includes(inner.operator) && isEmptyObject(inner.right);
};

/** A key written as a literal (`obj['a']`, `obj[0]`) or a template without expressions is not computed. */
const isComputedKey = (member) =>
  member.computed &&
  member.property.type !== 'Literal' &&
  !(member.property.type === 'TemplateLiteral' && member.property.expressions.length === 0);

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'disallow plain objects ({}) used as maps with computed keys' },
    schema: [],
    messages: {
      objectMap:
        "'{{name}}' is a plain object written with computed keys: use a Map, or Object.create(null) (a key like __proto__ would vanish or pollute).",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    function check(declarator) {
      if (declarator.id.type !== 'Identifier' || !startsEmpty(declarator.init)) return;
      for (const variable of sourceCode.getDeclaredVariables(declarator)) {
        for (const reference of variable.references) {
          const member = reference.identifier.parent;
          if (member?.type !== 'MemberExpression' || member.object !== reference.identifier || !isComputedKey(member))
            continue;
          const parent = member.parent;
          const written =
            (parent.type === 'AssignmentExpression' && parent.left === member) ||
            (parent.type === 'UpdateExpression' && parent.argument === member);
          if (written) context.report({ node: member, messageId: 'objectMap', data: { name: variable.name } });
        }
      }
    }
    return { VariableDeclarator: check };
  },
};
