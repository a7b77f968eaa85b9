/**
 * A labelled filter dropdown whose first choice means "any"; uncontrolled, so a re-render keeps the
 * choice. The applied value is marked `selected` on its option: a select has no `defaultValue`
 * property, so Preact would set it as a meaningless attribute and the dropdown would show "Any".
 */
export function FilterSelect(props: {
  name: string;
  label: string;
  value: string;
  options: [string, string][];
  anyLabel?: string;
}) {
  const id = `filter-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        <option value="" selected={props.value === ""}>
          {props.anyLabel ?? "Any"}
        </option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value} selected={value === props.value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}
