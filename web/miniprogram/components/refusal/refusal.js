// refusal shows API.md's message and what to do next ({code, message, next}).
Component({ properties: { error: { type: Object, value: null } } })
