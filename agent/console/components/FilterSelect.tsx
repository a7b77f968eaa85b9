/** A labelled filter dropdown whose first choice means "any"; uncontrolled, so a re-render keeps the choice. */
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
      <select id={id} name={props.name} defaultValue={props.value}>
        <option value="">{props.anyLabel ?? "Any"}</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}
