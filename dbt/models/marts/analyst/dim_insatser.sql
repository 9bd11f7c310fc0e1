-- The insatser in every förbund's register, one row per förbund and insats: what each is,
-- who runs it, for whom and since when (the förbund's newest insatser snapshot). Person-free.
-- int_insatser names the columns; the model's contract fixes them and their types.

select * from {{ ref('int_insatser') }}
